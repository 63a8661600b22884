package config

import (
	"cmp"
	"slices"
)

// keepalived numbers rules without a preference from here down, per family.
const firstAutoRulePreference = 16384

// routes reads a list of route entries.
func (b *block) routes(name string) []Route {
	items, _ := b.strings(name)
	var out []Route
	for _, it := range items {
		r, err := parseRoute(it.s, func(w string) { b.d.warnf(it.r, "%s entry %q: %s", name, it.s, w) })
		if err != nil {
			b.d.errorf(it.r, "%s entry %q: %v", name, it.s, err)
			continue
		}
		r.Source = Source{Range: it.r}
		out = append(out, r)
	}
	return out
}

// rules reads a list of rule entries; those without a preference are numbered by
// numberRules once the whole file is read.
func (b *block) rules(name string) []Rule {
	items, _ := b.strings(name)
	var out []Rule
	for _, it := range items {
		r, hasPref, err := parseRule(it.s, func(w string) { b.d.warnf(it.r, "%s entry %q: %s", name, it.s, w) })
		if err != nil {
			b.d.errorf(it.r, "%s entry %q: %v", name, it.s, err)
			continue
		}
		r.AutoPreference, r.Source = !hasPref, Source{Range: it.r}
		out = append(out, r)
	}
	return out
}

// staticRouting reads static_ipaddress, static_routes and static_rules, then numbers the
// rules without a preference across the whole config.
func (d *decoder) staticRouting(top *block, cfg *Config) {
	addrs, _ := top.vips("static_ipaddress")
	for _, a := range addrs {
		if a.Dev == "" {
			d.errorf(a.Source.Range, "static_ipaddress %s needs dev IF: halvs has no default interface to put it on", a.Prefix)
			continue
		}
		cfg.StaticIPAddresses = append(cfg.StaticIPAddresses, a)
	}
	cfg.StaticRoutes = top.routes("static_routes")
	cfg.StaticRules = top.rules("static_rules")
	d.numberRules(cfg)
}

// numberRules gives each rule without a preference keepalived's: 16384 for the first of
// its family in file order, one less for each next, with keepalived's warning.
func (d *decoder) numberRules(cfg *Config) {
	var auto []*Rule
	for i := range cfg.VRRPInstances {
		for j := range cfg.VRRPInstances[i].VirtualRules {
			auto = append(auto, &cfg.VRRPInstances[i].VirtualRules[j])
		}
	}
	for j := range cfg.StaticRules {
		auto = append(auto, &cfg.StaticRules[j])
	}
	auto = slices.DeleteFunc(auto, func(r *Rule) bool { return !r.AutoPreference })
	slices.SortStableFunc(auto, func(a, b *Rule) int {
		ra, rb := a.Source.Range, b.Source.Range
		return cmp.Or(cmp.Compare(ra.Filename, rb.Filename), cmp.Compare(ra.Start.Byte, rb.Start.Byte))
	})
	next := map[bool]uint32{false: firstAutoRulePreference, true: firstAutoRulePreference}
	for _, r := range auto {
		r.Priority = next[r.IPv6]
		next[r.IPv6]--
		d.warnf(r.Source.Range, "rule has no preference: it gets %d, as keepalived numbers them; this is probably not what you want, so give it one", r.Priority)
	}
}

// CheckRouteEntry reports whether s is a route entry halvs can apply (halvs convert keeps
// an entry only then); the error says why not.
func CheckRouteEntry(s string) error {
	_, err := parseRoute(s, func(string) {})
	return err
}

// CheckRuleEntry is CheckRouteEntry for a rule entry.
func CheckRuleEntry(s string) error {
	_, _, err := parseRule(s, func(string) {})
	return err
}

// CheckAddressEntry is CheckRouteEntry for a virtual_ipaddress or static_ipaddress entry.
func CheckAddressEntry(s string) error {
	v, err := parseVIP(s)
	if err == nil {
		err = CheckVIPAddress(v.Prefix)
	}
	return err
}
