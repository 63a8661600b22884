package config

import "github.com/zclconf/go-cty/cty"

// lvsFlush reads keepalived's lvs_flush and lvs_flush_onstop (or lvs_flush_on_stop). halvs
// removes only the IPVS services it owns (those its configuration names), so neither can
// flush the whole table as keepalived does: each is accepted, and a warning says what halvs
// does instead. lvs_flush_onstop = "VS" is exactly what halvs does at stop: no warning.
func (b *block) lvsFlush() {
	var on bool
	if b.has("lvs_flush") && b.boolean("lvs_flush", &on) && on {
		b.warnf("lvs_flush", "lvs_flush: halvs removes only the IPVS services it owns; at start it makes each service this configuration names exactly as configured (real servers it does not list removed) and leaves every other service in the table")
	}
	name := b.synonym("lvs_flush_onstop", "lvs_flush_on_stop")
	if !b.has(name) {
		return
	}
	v, ok := b.value(name)
	if !ok {
		return
	}
	if v.Type() == cty.String {
		if v.AsString() != "VS" {
			b.errorf(name, "%s must be true, false or \"VS\" (remove the configured virtual servers only), not %q", name, v.AsString())
		}
		return // "VS": what halvs does at stop anyway
	}
	if b.boolean(name, &on) && on {
		b.warnf(name, "%s: halvs removes only the IPVS services it owns; at stop (unless --keep-ipvs) it removes every service this configuration names, as with %s = \"VS\", and leaves every other service in the table", name, name)
	}
}
