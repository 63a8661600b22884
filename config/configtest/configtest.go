// Package configtest holds what tests of configurations share: the cmp options that compare
// two Configs by meaning, kept out of package config so that go-cmp stays out of the binary.
package configtest

import (
	"net/netip"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/hashicorp/hcl/v2"

	"github.com/halvs/halvs/config"
)

// IgnorePositions returns the cmp options that compare two Configs by meaning only: Source
// fields (where each definition came from) are skipped, and netip values compare by value.
// Two configs loaded from equivalent files give an empty cmp.Diff(a, b, IgnorePositions()),
// and cmp.Equal with it agrees with config.Equal.
func IgnorePositions() cmp.Option {
	return cmp.Options{
		cmpopts.IgnoreTypes(config.Source{}, hcl.Range{}),
		cmp.Comparer(func(a, b netip.Addr) bool { return a == b }),
		cmp.Comparer(func(a, b netip.Prefix) bool { return a == b }),
		cmp.Comparer(func(a, b netip.AddrPort) bool { return a == b }),
	}
}
