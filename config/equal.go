package config

import (
	"reflect"

	"github.com/hashicorp/hcl/v2"
)

// Equal reports whether a and b, two values of one type out of a Config (the whole Config, a
// VirtualServer, a Global), mean the same: where a definition came from (Source, hcl.Range)
// does not count, so moving a block or reindenting a file changes nothing. Otherwise it is
// reflect.DeepEqual: nil and empty differ, as do lists in another order.
func Equal(a, b any) bool {
	va, vb := reflect.ValueOf(a), reflect.ValueOf(b)
	if !va.IsValid() || !vb.IsValid() {
		return va.IsValid() == vb.IsValid()
	}
	return va.Type() == vb.Type() && equalValue(va, vb)
}

var (
	sourceType = reflect.TypeFor[Source]()
	rangeType  = reflect.TypeFor[hcl.Range]()
)

// equalValue compares two values of one type. It reads unexported fields (netip.Addr's)
// through Int, String and the like, which reflect allows where Interface does not.
func equalValue(a, b reflect.Value) bool {
	if t := a.Type(); t == sourceType || t == rangeType {
		return true
	}
	switch a.Kind() {
	case reflect.Bool:
		return a.Bool() == b.Bool()
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return a.Int() == b.Int()
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return a.Uint() == b.Uint()
	case reflect.Float32, reflect.Float64:
		return a.Float() == b.Float()
	case reflect.Complex64, reflect.Complex128:
		return a.Complex() == b.Complex()
	case reflect.String:
		return a.String() == b.String()
	case reflect.Pointer, reflect.Interface:
		if a.IsNil() || b.IsNil() {
			return a.IsNil() == b.IsNil()
		}
		if a.Kind() == reflect.Pointer && a.Pointer() == b.Pointer() {
			return true
		}
		ea, eb := a.Elem(), b.Elem()
		return ea.Type() == eb.Type() && equalValue(ea, eb)
	case reflect.Struct:
		for i := range a.NumField() {
			if !equalValue(a.Field(i), b.Field(i)) {
				return false
			}
		}
		return true
	case reflect.Slice:
		if a.IsNil() != b.IsNil() {
			return false
		}
		fallthrough
	case reflect.Array:
		if a.Len() != b.Len() {
			return false
		}
		for i := range a.Len() {
			if !equalValue(a.Index(i), b.Index(i)) {
				return false
			}
		}
		return true
	case reflect.Map:
		if a.IsNil() != b.IsNil() || a.Len() != b.Len() {
			return false
		}
		for it := a.MapRange(); it.Next(); {
			vb := b.MapIndex(it.Key())
			if !vb.IsValid() || !equalValue(it.Value(), vb) {
				return false
			}
		}
		return true
	default: // Func, Chan, UnsafePointer: a configuration holds none
		return a.IsZero() && b.IsZero()
	}
}
