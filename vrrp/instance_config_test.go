package vrrp

import (
	"errors"
	"net/netip"
	"testing"
	"time"
)

func TestInstanceConfigValidate(t *testing.T) {
	v6 := []VIP{{Prefix: netip.MustParsePrefix("fe80::5:2/128")}, {Prefix: netip.MustParsePrefix("fd00::22/128")}}
	tests := []struct {
		name string
		mod  func(*InstanceConfig)
		ok   bool
	}{
		{name: "keepalived defaults", mod: func(c *InstanceConfig) { c.Version, c.Priority, c.Interval = 0, 0, 0 }, ok: true},
		{name: "v3 IPv6 with link-local first", mod: func(c *InstanceConfig) { c.VIPs = v6 }, ok: true},
		{name: "v3 at 50ms", mod: func(c *InstanceConfig) { c.Interval = 50 * time.Millisecond }, ok: true},
		{name: "no name", mod: func(c *InstanceConfig) { c.Name = "" }},
		{name: "no interface", mod: func(c *InstanceConfig) { c.Interface = "" }},
		{name: "VRID 0", mod: func(c *InstanceConfig) { c.VRID = 0 }},
		{name: "version 4", mod: func(c *InstanceConfig) { c.Version = 4 }},
		{name: "no VIPs", mod: func(c *InstanceConfig) { c.VIPs = nil }},
		{name: "mixed families", mod: func(c *InstanceConfig) { c.VIPs = append(c.VIPs, v6[0]) }},
		{name: "v2 IPv6", mod: func(c *InstanceConfig) { c.Version, c.VIPs = 2, v6 }},
		{name: "IPv6 without link-local first", mod: func(c *InstanceConfig) { c.VIPs = []VIP{v6[1], v6[0]} }},
		{name: "v2 fractional interval", mod: func(c *InstanceConfig) { c.Version, c.Interval = 2, 500*time.Millisecond }},
		{name: "v3 interval too long", mod: func(c *InstanceConfig) { c.Interval = time.Minute }},
		{name: "PASS with v3", mod: func(c *InstanceConfig) { c.AuthType, c.AuthPass = AuthPass, "x" }},
		{name: "AH", mod: func(c *InstanceConfig) { c.Version, c.AuthType = 2, AuthAH }},
		{name: "unicast peer of the other family", mod: func(c *InstanceConfig) { c.UnicastPeers = []netip.Addr{netip.MustParseAddr("fd00::1")} }},
		{name: "unicast peer TTL range", mod: func(c *InstanceConfig) { unicastTTL(c, hostB, TTLRange{Min: 250, Max: 255}) }, ok: true},
		{name: "TTL range of no peer", mod: func(c *InstanceConfig) { unicastTTL(c, hostA, TTLRange{Min: 250, Max: 255}) }},
		{name: "TTL range min above max", mod: func(c *InstanceConfig) { unicastTTL(c, hostB, TTLRange{Min: 255, Max: 250}) }},
		{name: "tracker without name", mod: func(c *InstanceConfig) { c.Track = []Track{{Kind: TrackScript}} }},
		{name: "tracker weight", mod: func(c *InstanceConfig) { c.Track = []Track{{Kind: TrackScript, Name: "x", Weight: 255}} }},
		{name: "excluded of the other family", mod: func(c *InstanceConfig) { c.ExcludedVIPs = v6 }, ok: true},
		{name: "excluded invalid", mod: func(c *InstanceConfig) { c.ExcludedVIPs = []VIP{{}} }},
		{name: "excluded is also a VIP", mod: func(c *InstanceConfig) { c.ExcludedVIPs = []VIP{{Prefix: vipPfx}} }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := vi1(100)
			tt.mod(&c)
			err := c.Validate()
			if tt.ok && err != nil {
				t.Errorf("Validate: %v", err)
			}
			if !tt.ok && !errors.Is(err, ErrConfig) {
				t.Errorf("Validate = %v, want ErrConfig", err)
			}
		})
	}
}

// unicastTTL makes c unicast to hostB and gives peer the TTL range r.
func unicastTTL(c *InstanceConfig, peer netip.Addr, r TTLRange) {
	c.UnicastPeers = []netip.Addr{hostB}
	c.UnicastPeerTTL = map[netip.Addr]TTLRange{peer: r}
}
