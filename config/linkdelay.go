package config

import (
	"fmt"
	"strings"
	"time"
)

// InterfaceDelay is an interface_up_down_delays entry, "IF DOWN_DELAY [UP_DELAY]": a link
// going down (up) counts only once it has stayed so for Down (Up); a change undone sooner
// is not seen at all. As in keepalived's parser, a missing UP_DELAY is 0.
type InterfaceDelay struct {
	Name     string
	Down, Up time.Duration
	Source   Source
}

// maxInterfaceDelay is keepalived's bound on either delay.
const maxInterfaceDelay = 255 * time.Second

func (b *block) interfaceDelays() []InterfaceDelay {
	items, _ := b.strings("interface_up_down_delays")
	var out []InterfaceDelay
	for _, it := range items {
		f := strings.Fields(it.s)
		bad := func(format string, args ...any) {
			b.d.errorf(it.r, "interface_up_down_delays entry %q: %s (the form is \"IF DOWN_DELAY [UP_DELAY]\")", it.s, fmt.Sprintf(format, args...))
		}
		if len(f) < 2 || len(f) > 3 {
			bad("%d words", len(f))
			continue
		}
		if err := checkIfName(f[0]); err != nil {
			bad("%v", err)
			continue
		}
		e := InterfaceDelay{Name: f[0], Source: Source{Range: it.r}}
		ok := true
		for i, dst := range []*time.Duration{&e.Down, &e.Up}[:len(f)-1] {
			d, err := parseDuration(f[i+1])
			if err == nil && d > maxInterfaceDelay {
				err = fmt.Errorf("%s is above 255s", f[i+1])
			}
			if err != nil {
				bad("%v", err)
				ok = false
				break
			}
			*dst = d
		}
		if !ok {
			continue
		}
		if i := indexDelay(out, e.Name); i >= 0 {
			bad("%s is listed twice", e.Name)
			continue
		}
		out = append(out, e)
	}
	return out
}

func indexDelay(list []InterfaceDelay, name string) int {
	for i, e := range list {
		if e.Name == name {
			return i
		}
	}
	return -1
}

// validateInterfaceDelays warns, as keepalived's documentation does, when an interface's
// down delay is not below two advert intervals of an instance using it: a backup would
// take over before the master's link is seen down.
func validateInterfaceDelays(d *decoder, cfg *Config) {
	for _, e := range cfg.InterfaceDelays {
		for _, vi := range cfg.VRRPInstances {
			if vi.Interface == e.Name && e.Down >= 2*vi.AdvertInt {
				d.warnf(e.Source.Range, "interface_up_down_delays: %s's down delay %v is not below two advert intervals of vrrp_instance %q (%v): its backup peers may take over first", e.Name, e.Down, vi.Name, vi.AdvertInt)
			}
		}
	}
}
