package vrrp

import (
	"net"
	"net/netip"
	"slices"
	"testing"

	"github.com/vishvananda/netlink"
)

// TestListAddresses lists a namespace's addresses through netlink: every family, every
// interface (lo included), each with its interface's name and prefix length.
func TestListAddresses(t *testing.T) {
	_, _, hosts := newSegment(t, "10.78.0.1/24")
	ns := hosts[0].ns
	ad := NewAddresserWithHandle(ns.Handle)
	link, err := ns.Handle.LinkByName("hk0")
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"10.78.0.9/32", "fd00:78::9/64"} {
		pfx := netip.MustParsePrefix(p)
		a := &netlink.Addr{IPNet: &net.IPNet{IP: pfx.Addr().AsSlice(), Mask: net.CIDRMask(pfx.Bits(), pfx.Addr().BitLen())}}
		if err := ns.Handle.AddrAdd(link, a); err != nil {
			t.Fatal(err)
		}
	}
	got, err := ad.ListAddresses()
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []HostAddress{
		{Dev: "lo", Prefix: netip.MustParsePrefix("127.0.0.1/8")},
		{Dev: "lo", Prefix: netip.MustParsePrefix("::1/128")},
		{Dev: "hk0", Prefix: netip.MustParsePrefix("10.78.0.1/24")},
		{Dev: "hk0", Prefix: netip.MustParsePrefix("10.78.0.9/32")},
		{Dev: "hk0", Prefix: netip.MustParsePrefix("fd00:78::9/64")},
	} {
		if !slices.Contains(got, want) {
			t.Errorf("ListAddresses lacks %s on %s; got %v", want.Prefix, want.Dev, got)
		}
	}
}
