package vrrp

import (
	"errors"
	"net/netip"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/halvs/halvs/vrrp/vrrptest"
)

// refusingAddresser fails every add of refused.
type refusingAddresser struct {
	*vrrptest.Addresser
	refused netip.Prefix
}

func (a refusingAddresser) AddVIP(v VIP) error {
	if v.Prefix == a.refused {
		return errors.New("refused")
	}
	return a.Addresser.AddVIP(v)
}

// TestVIPOwner drives a vipOwner alone, as the kernel worker does: what reaches the kernel,
// in which order, and what is counted.
func TestVIPOwner(t *testing.T) {
	vip := VIP{Prefix: vipPfx, Dev: "eth0"}
	vip2 := VIP{Prefix: vip2Pfx, Dev: "eth0"}
	ex := VIP{Prefix: netip.MustParsePrefix("10.10.20.22/32"), Dev: "eth1"}
	type counts struct{ KernelErrors, VIPRepairs uint64 }
	tests := []struct {
		name   string
		refuse netip.Prefix
		steps  func(o *vipOwner, kernel *vrrptest.Addresser)
		want   []string
		counts counts
	}{
		{"claim adds the VIPs, the excluded ones, then routes and rules; release the reverse", netip.Prefix{}, func(o *vipOwner, _ *vrrptest.Addresser) {
			o.claim()
			o.release()
		}, []string{"add " + vipPfx.String(), "add " + ex.Prefix.String(), "add route " + route1.String(), "add rule " + rule1.String(),
			"del rule " + rule1.String(), "del route " + route1.String(), "del " + vipPfx.String(), "del " + ex.Prefix.String()}, counts{}},
		{"a reload while not claimed changes nothing in the kernel", netip.Prefix{}, func(o *vipOwner, _ *vrrptest.Addresser) {
			o.setOwned([]VIP{vip2}, nil)
			o.setRoutes(nil, nil)
			o.verify()
		}, nil, counts{}},
		{"a reload while claimed adds the new first, then removes what went", netip.Prefix{}, func(o *vipOwner, k *vrrptest.Addresser) {
			o.claim()
			k.TakeOps()
			o.setOwned([]VIP{vip2}, []VIP{ex})
			o.setRoutes([]Route{route2}, nil)
		}, []string{"add " + vip2Pfx.String(), "del " + vipPfx.String(),
			"add route " + route2.String(), "del rule " + rule1.String(), "del route " + route1.String()}, counts{}},
		{"verify re-adds a VIP gone from the kernel and counts the repair", netip.Prefix{}, func(o *vipOwner, k *vrrptest.Addresser) {
			o.claim()
			k.TakeOps()
			k.Drop(vipPfx)
			o.verify()
		}, []string{"add " + vipPfx.String()}, counts{VIPRepairs: 1}},
		{"a refused add is counted and the rest goes on", ex.Prefix, func(o *vipOwner, _ *vrrptest.Addresser) {
			o.claim()
		}, []string{"add " + vipPfx.String(), "add route " + route1.String(), "add rule " + rule1.String()}, counts{KernelErrors: 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			kernel := &vrrptest.Addresser{}
			var got Counters
			o := &vipOwner{
				addr: refusingAddresser{kernel, tt.refuse}, ann: &vrrptest.Announcer{}, routes: &loggedRoutes{addr: kernel},
				log: testLogger(t), garp: func() garpSettings { return garpSettings{repeat: 1} },
				count: func(f func(*Counters)) { f(&got) },
				vips:  []VIP{vip}, excluded: []VIP{ex}, virtualRoutes: []Route{route1}, virtualRules: []Rule{rule1},
			}
			tt.steps(o, kernel)
			if diff := cmp.Diff(tt.want, kernel.TakeOps()); diff != "" {
				t.Errorf("kernel changes (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.counts, counts{got.KernelErrors, got.VIPRepairs}); diff != "" {
				t.Errorf("counted (-want +got):\n%s", diff)
			}
		})
	}
}
