package vrrp

import (
	"errors"
	"net"
	"net/netip"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

func TestAddresserBadInput(t *testing.T) {
	p := netip.MustParsePrefix
	tests := []struct {
		name string
		vip  VIP
	}{
		{"no address", VIP{Dev: "hk0"}},
		{"no interface", VIP{Prefix: p("10.0.0.1/32")}},
		{"interface name too long", VIP{Prefix: p("10.0.0.1/32"), Dev: "hk0123456789abcdef"}},
		{"multicast", VIP{Prefix: p("224.0.0.18/32"), Dev: "hk0"}},
		{"unspecified", VIP{Prefix: p("::/128"), Dev: "hk0"}},
		{"IPv4-mapped", VIP{Prefix: p("::ffff:10.0.0.1/128"), Dev: "hk0"}},
		{"label on IPv6", VIP{Prefix: p("fd00::1/128"), Dev: "hk0", Label: "hk0:1"}},
		{"label too long", VIP{Prefix: p("10.0.0.1/32"), Dev: "hk0", Label: "hk0:0123456789ab"}},
		{"unknown scope", VIP{Prefix: p("10.0.0.1/32"), Dev: "hk0", Scope: "universe"}},
	}
	a := &NetlinkAddresser{} // no handle: validation must fail before any netlink request
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, herr := a.HasVIP(tt.vip)
			for op, err := range map[string]error{"add": a.AddVIP(tt.vip), "delete": a.DelVIP(tt.vip), "check": herr} {
				var ve *VIPError
				if !errors.Is(err, ErrInvalidVIP) || !errors.As(err, &ve) || ve.Op != op {
					t.Errorf("%s: error %v, want a %q VIPError wrapping ErrInvalidVIP", op, err, op)
				}
			}
		})
	}
}

// kernelAddr is what the kernel reports about one address, read back with netlink.
type kernelAddr struct {
	Label     string
	Scope     int
	Secondary bool
	NoDAD     bool
	Tentative bool
	Broadcast string
}

func readKernelAddr(t *testing.T, h *netlink.Handle, dev string, p netip.Prefix) (kernelAddr, bool) {
	t.Helper()
	link, err := h.LinkByName(dev)
	if err != nil {
		t.Fatal(err)
	}
	addrs, err := h.AddrList(link, netlink.FAMILY_ALL)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range addrs {
		ones, _ := a.Mask.Size()
		if ip, _ := netip.AddrFromSlice(a.IP); ip.Unmap() == p.Addr() && ones == p.Bits() {
			k := kernelAddr{Label: a.Label, Scope: a.Scope, Secondary: a.Flags&unix.IFA_F_SECONDARY != 0,
				NoDAD: a.Flags&unix.IFA_F_NODAD != 0, Tentative: a.Flags&unix.IFA_F_TENTATIVE != 0}
			if a.Broadcast != nil {
				k.Broadcast = a.Broadcast.String()
			}
			return k, true
		}
	}
	return kernelAddr{}, false
}

// exerciseVIP adds, re-adds, checks, deletes and re-deletes v, and returns what the kernel
// reported while v was present.
func exerciseVIP(t *testing.T, ad *NetlinkAddresser, h *netlink.Handle, v VIP, whilePresent func()) kernelAddr {
	t.Helper()
	if has, err := ad.HasVIP(v); err != nil || has {
		t.Fatalf("HasVIP before add = %v, %v; want false", has, err)
	}
	for i := range 2 {
		if err := ad.AddVIP(v); err != nil {
			t.Fatalf("AddVIP #%d: %v", i+1, err)
		}
	}
	if has, err := ad.HasVIP(v); err != nil || !has {
		t.Fatalf("HasVIP after add = %v, %v; want true", has, err)
	}
	got, ok := readKernelAddr(t, h, v.Dev, v.Prefix)
	if !ok {
		t.Fatalf("kernel does not list %s", v.Prefix)
	}
	if whilePresent != nil {
		whilePresent()
	}
	for i := range 2 {
		if err := ad.DelVIP(v); err != nil {
			t.Fatalf("DelVIP #%d: %v", i+1, err)
		}
	}
	if has, err := ad.HasVIP(v); err != nil || has {
		t.Fatalf("HasVIP after delete = %v, %v; want false", has, err)
	}
	if _, ok := readKernelAddr(t, h, v.Dev, v.Prefix); ok {
		t.Fatalf("kernel still lists %s after delete", v.Prefix)
	}
	return got
}

func TestAddresserIPv4(t *testing.T) {
	_, _, hosts := newSegment(t, "10.77.0.1/24")
	ns := hosts[0].ns
	ad := NewAddresserWithHandle(ns.Handle)
	primary := netip.MustParseAddr("10.77.0.1")

	// The preferred source towards the subnet must stay the primary address while VIPs are up.
	checkSource := func() {
		t.Helper()
		routes, err := ns.Handle.RouteGet(net.ParseIP("10.77.0.2"))
		if err != nil || len(routes) == 0 {
			t.Fatalf("route get: %v", err)
		}
		if src, _ := netip.AddrFromSlice(routes[0].Src); src.Unmap() != primary {
			t.Errorf("preferred source = %s, want the primary %s", routes[0].Src, primary)
		}
	}

	tests := []struct {
		name string
		vip  VIP
		want kernelAddr
	}{
		{"in subnet with label", VIP{Prefix: netip.MustParsePrefix("10.77.0.100/24"), Dev: "hk0", Label: "hk0:vip"},
			kernelAddr{Label: "hk0:vip", Scope: unix.RT_SCOPE_UNIVERSE, Secondary: true}},
		{"host route /32", VIP{Prefix: netip.MustParsePrefix("10.77.0.22/32"), Dev: "hk0"},
			kernelAddr{Label: "hk0", Scope: unix.RT_SCOPE_UNIVERSE}},
		{"scope link", VIP{Prefix: netip.MustParsePrefix("10.77.0.23/32"), Dev: "hk0", Scope: "link"},
			kernelAddr{Label: "hk0", Scope: unix.RT_SCOPE_LINK}},
		{"scope host", VIP{Prefix: netip.MustParsePrefix("10.77.0.24/32"), Dev: "hk0", Scope: "host"},
			kernelAddr{Label: "hk0", Scope: unix.RT_SCOPE_HOST}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := exerciseVIP(t, ad, ns.Handle, tt.vip, checkSource)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("kernel address (-want +got):\n%s", diff)
			}
		})
	}
	if _, ok := readKernelAddr(t, ns.Handle, "hk0", netip.MustParsePrefix("10.77.0.1/24")); !ok {
		t.Error("the primary address is gone")
	}
}

func TestAddresserIPv6(t *testing.T) {
	_, _, hosts := newSegment(t, "fd00:77::1/64")
	ns := hosts[0].ns
	// The lab turns DAD off; turn it back on here, or NODAD would prove nothing (an address
	// added without it would be tentative for a second or so).
	for _, k := range []string{"net/ipv6/conf/all/accept_dad", "net/ipv6/conf/hk0/accept_dad"} {
		if err := ns.WriteSysctl(k, "1"); err != nil {
			t.Fatal(err)
		}
	}
	ad := NewAddresserWithHandle(ns.Handle)
	for _, v := range []VIP{
		{Prefix: netip.MustParsePrefix("fd00:77::22/128"), Dev: "hk0"},
		{Prefix: netip.MustParsePrefix("fe80::5:2/128"), Dev: "hk0"},
		{Prefix: netip.MustParsePrefix("fd00:77::23/64"), Dev: "hk0"},
	} {
		t.Run(v.Prefix.String(), func(t *testing.T) {
			got := exerciseVIP(t, ad, ns.Handle, v, nil)
			if !got.NoDAD || got.Tentative {
				t.Errorf("kernel address %+v: want nodad and not tentative", got)
			}
		})
	}
}

func TestAddresserMissingInterface(t *testing.T) {
	_, _, hosts := newSegment(t, "10.77.0.1/24")
	ad := NewAddresserWithHandle(hosts[0].ns.Handle)
	v := VIP{Prefix: netip.MustParsePrefix("10.77.0.22/32"), Dev: "hk9"}
	var ve *VIPError
	if err := ad.AddVIP(v); !errors.As(err, &ve) || ve.Op != "add" {
		t.Errorf("AddVIP on a missing interface = %v, want a VIPError", err)
	}
	if _, err := ad.HasVIP(v); err == nil {
		t.Error("HasVIP on a missing interface succeeded")
	}
	if err := ad.DelVIP(v); err != nil {
		t.Errorf("DelVIP on a missing interface = %v, want nil (the address is not there)", err)
	}
}

// TestAddresserCachesLinks: the interface is looked up once for any number of adds and
// deletes; a link deleted and created again under its name (a new index) is looked up again
// and gets the VIP.
func TestAddresserCachesLinks(t *testing.T) {
	_, _, hosts := newSegment(t, "10.77.0.1/24")
	h := hosts[0].ns.Handle
	mkDummy := func() int {
		t.Helper()
		// A veth pair: the test kernel may have no dummy driver.
		if err := h.LinkAdd(&netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: "hkd0"}, PeerName: "hkd1"}); err != nil {
			t.Fatal(err)
		}
		l, err := h.LinkByName("hkd0")
		if err != nil {
			t.Fatal(err)
		}
		return l.Attrs().Index
	}
	first := mkDummy()
	t.Cleanup(func() {
		if l, err := h.LinkByName("hkd0"); err == nil {
			h.LinkDel(l)
		}
	})
	ad := NewAddresserWithHandle(h)
	lookups := 0
	ad.lookup = func(name string) (netlink.Link, error) {
		lookups++
		return h.LinkByName(name)
	}
	v := VIP{Prefix: netip.MustParsePrefix("10.77.9.22/32"), Dev: "hkd0", Label: "hkd0:v"}
	for range 3 {
		if err := ad.AddVIP(v); err != nil {
			t.Fatal(err)
		}
		if err := ad.DelVIP(v); err != nil {
			t.Fatal(err)
		}
	}
	if lookups != 1 {
		t.Errorf("%d lookups for 3 adds and deletes, want 1", lookups)
	}

	old, err := h.LinkByName("hkd0")
	if err != nil {
		t.Fatal(err)
	}
	if err := h.LinkDel(old); err != nil {
		t.Fatal(err)
	}
	if second := mkDummy(); second == first {
		t.Fatalf("the recreated link kept index %d; the test needs a new one", first)
	}
	if err := ad.AddVIP(v); err != nil {
		t.Fatalf("AddVIP on the recreated link: %v", err)
	}
	if _, ok := readKernelAddr(t, h, "hkd0", v.Prefix); !ok {
		t.Error("the VIP is not on the recreated link")
	}
	if lookups != 2 {
		t.Errorf("%d lookups after the link was recreated, want 2 (one fresh lookup)", lookups)
	}
	// Deleting through a stale index of a link now gone altogether is still success.
	cur, _ := h.LinkByName("hkd0")
	h.LinkDel(cur)
	if err := ad.DelVIP(v); err != nil {
		t.Errorf("DelVIP after the link went: %v, want nil", err)
	}
}
