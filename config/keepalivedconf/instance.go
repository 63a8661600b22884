package keepalivedconf

import (
	"math"
	"net/netip"
	"strings"

	"github.com/zclconf/go-cty/cty"
)

// completeInstance applies what keepalived's vrrp_complete_instance does to a vrrp_instance
// once its version is known, so that the output says what keepalived would run and passes
// halvs check: an advert_int VRRP cannot carry is rounded (and clamped) as keepalived does,
// and VRRPv3's authentication and a unicast_ttl without unicast peers, which keepalived
// ignores, are left out. Each is a warning.
func (c *converter) completeInstance(o *out) {
	version := 2
	if c.global != nil {
		if v, ok := wholeValue(c.global.vals["vrrp_version"]); ok {
			version = v
		}
	}
	explicit := false
	if v, ok := wholeValue(o.vals["version"]); ok {
		version, explicit = v, true
	}
	if !explicit && firstVIPIs6(o.lists["virtual_ipaddress"]) {
		version = 3 // keepalived: IPv6 instances run VRRPv3
	}
	if v, ok := o.vals["advert_int"]; ok && v.Type() == cty.Number {
		secs, _ := v.AsBigFloat().Float64()
		if rounded, changed := roundAdvert(secs, version); changed {
			o.body.SetAttributeValue("advert_int", cty.NumberFloatVal(rounded))
			c.diags.add(Warning, o.set["advert_int"], "advert_int %s in %s: VRRPv%d carries %s; keepalived makes it %s, and so does the conversion",
				v.AsBigFloat().Text('g', -1), o.what, version, advertUnit(version), cty.NumberFloatVal(rounded).AsBigFloat().Text('g', -1))
		}
	}
	if pos, ok := o.set["unicast_ttl"]; ok && len(o.lists["unicast_peer"]) == 0 {
		o.body.RemoveAttribute("unicast_ttl")
		c.diags.add(Warning, pos, "unicast_ttl in %s left out: it has no unicast_peer (keepalived resets it, with an error)", o.what)
	}
	if version == 3 {
		if pos, ok := o.set["authentication"]; ok {
			for _, b := range o.body.Blocks() {
				if b.Type() == "authentication" {
					o.body.RemoveBlock(b)
				}
			}
			c.diags.add(Warning, pos, "authentication in %s left out: VRRPv3 has no authentication (keepalived ignores it, with an error)", o.what)
		}
	}
}

func advertUnit(version int) string {
	if version == 2 {
		return "whole seconds from 1 to 255"
	}
	return "hundredths of a second from 0.01 to 40.95"
}

// roundAdvert rounds an advert interval in seconds the way keepalived does: half up to whole
// seconds (VRRPv2) or centiseconds (VRRPv3), never to 0, and clamped to what the packet holds.
func roundAdvert(secs float64, version int) (float64, bool) {
	unit, max := 1.0, 255.0
	if version == 3 {
		unit, max = 0.01, 40.95
	}
	if secs <= 0 {
		return secs, false // keepalived takes 0 as the default; halvs check says so
	}
	r := math.Floor(secs/unit+0.5) * unit
	r = math.Round(r*100) / 100 // drop float noise from the centisecond steps
	switch {
	case r < unit:
		r = unit
	case r > max:
		r = max
	}
	return r, r != secs
}

func wholeValue(v cty.Value) (int, bool) {
	if v == cty.NilVal || v.Type() != cty.Number {
		return 0, false
	}
	n, acc := v.AsBigFloat().Int64()
	return int(n), acc == 0
}

// firstVIPIs6 reports whether the first virtual_ipaddress entry is an IPv6 address.
func firstVIPIs6(vips []cty.Value) bool {
	if len(vips) == 0 || vips[0].Type() != cty.String {
		return false
	}
	f := strings.Fields(vips[0].AsString())
	if len(f) == 0 {
		return false
	}
	addr, _, _ := strings.Cut(f[0], "/")
	a, err := netip.ParseAddr(addr)
	return err == nil && a.Is6()
}
