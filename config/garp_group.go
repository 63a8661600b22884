package config

import (
	"fmt"
	"time"

	"github.com/hashicorp/hcl/v2"
)

// keepalived's garp_group (a top-level block there, in global here): the least time between
// two gratuitous ARPs (unsolicited NAs) on its interfaces, whichever instance sends them,
// shared by all of them (interfaces on one switch). An interface in no group is paced on
// its own by vrrp_garp_interval / vrrp_gna_interval.

// GarpGroup is one garp_group block.
type GarpGroup struct {
	// GarpInterval and GnaInterval are the group's garp_interval and gna_interval; 0: that
	// kind is not paced on the group's interfaces (the global value does not apply there).
	GarpInterval, GnaInterval time.Duration
	// Interfaces are interface and the interfaces list, in that order.
	Interfaces []string
	Source     Source
}

var garpGroupSchema = schema{attrs: []string{"garp_interval", "gna_interval", "interface", "interfaces"}}

// garpGroups reads global's garp_group blocks. An interface in two groups is an error at the
// second (keepalived ignores the second with a configuration error), as is a group with no
// interval or no interface (keepalived removes the first, and the second does nothing).
func (b *block) garpGroups() []GarpGroup {
	var out []GarpGroup
	seen := map[string]hcl.Range{}
	for _, blk := range b.blocks("garp_group") {
		s := b.d.open("garp_group", blk.Body, blk.DefRange(), garpGroupSchema)
		g := GarpGroup{Source: s.src}
		s.garpInterval("garp_interval", &g.GarpInterval)
		s.garpInterval("gna_interval", &g.GnaInterval)
		if g.GarpInterval == 0 && g.GnaInterval == 0 {
			b.d.errorf(blk.DefRange(), "garp_group sets no delay: give garp_interval or gna_interval (keepalived drops such a group)")
		}
		var items []item
		var one string
		if s.str("interface", &one) {
			items = append(items, item{s: one, r: s.at("interface")})
		}
		if list, ok := s.strings("interfaces"); ok {
			if len(list) == 0 {
				s.errorf("interfaces", "garp_group interfaces is empty")
			}
			items = append(items, list...)
		}
		if !s.has("interface") && !s.has("interfaces") {
			b.d.errorf(blk.DefRange(), "garp_group names no interface: give interface = \"IF\" or interfaces = [\"IF\", ...]")
		}
		for _, it := range items {
			if err := checkIfName(it.s); err != nil {
				b.d.errorf(it.r, "garp_group interface: %v", err)
				continue
			}
			if first, dup := seen[it.s]; dup {
				b.d.errorf(it.r, "interface %q is in a garp_group already (at %s): an interface has one delay, so it can be in one group only", it.s, lineOf(first, it.r))
				continue
			}
			seen[it.s] = it.r
			g.Interfaces = append(g.Interfaces, it.s)
		}
		out = append(out, g)
	}
	return out
}

// lineOf names where first is, for a message at at: its line, or its file and line.
func lineOf(first, at hcl.Range) string {
	if first.Filename != at.Filename {
		return short(first)
	}
	return fmt.Sprintf("line %d", first.Start.Line)
}

// garpGroupVMACs refuses a garp_group naming a use_vmac macvlan (vmacs: name → instance), as
// keepalived does: a VMAC's announcements are paced as its base interface's.
func garpGroupVMACs(d *decoder, groups []GarpGroup, vmacs map[string]string) {
	for _, g := range groups {
		for _, dev := range g.Interfaces {
			if owner, ok := vmacs[dev]; ok {
				at := g.Source.Of("interfaces")
				if g.Source.has("interface") {
					at = g.Source.Of("interface")
				}
				d.errorf(at, "garp_group interface %q is vrrp_instance %q's use_vmac macvlan, paced as its base interface: name the base interface", dev, owner)
			}
		}
	}
}
