package vrrp

import (
	"errors"
	"net"
	"net/netip"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/halvs/halvs/internal/netnstest"
	"github.com/vishvananda/netlink"
)

// nsSysctl is the Sysctl of a test's namespace.
type nsSysctl struct{ ns *netnstest.NS }

func (s nsSysctl) Get(key string) (string, error) { return s.ns.ReadSysctl(key) }
func (s nsSysctl) Set(key, value string) error    { return s.ns.WriteSysctl(key, value) }

// vmacState is what the kernel says about a VMAC, read back for comparison.
type vmacState struct {
	Kind, Mode, MAC, Parent string
	Up                      bool
	Sysctls                 map[string]string
	IPv6Addrs               []string
}

func readVMAC(t *testing.T, ns *netnstest.NS, name string, keys ...string) vmacState {
	t.Helper()
	l, err := ns.Handle.LinkByName(name)
	if err != nil {
		t.Fatalf("VMAC %s: %v", name, err)
	}
	st := vmacState{Kind: l.Type(), MAC: l.Attrs().HardwareAddr.String(), Up: l.Attrs().Flags&net.FlagUp != 0, Sysctls: map[string]string{}}
	if mv, ok := l.(*netlink.Macvlan); ok && mv.Mode == netlink.MACVLAN_MODE_PRIVATE {
		st.Mode = "private"
	}
	if p, err := ns.Handle.LinkByIndex(l.Attrs().ParentIndex); err == nil {
		st.Parent = p.Attrs().Name
	}
	for _, k := range keys {
		v, err := ns.ReadSysctl(k)
		if err != nil {
			t.Fatal(err)
		}
		st.Sysctls[k] = v
	}
	addrs, err := ns.Handle.AddrList(l, netlink.FAMILY_V6)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range addrs {
		st.IPv6Addrs = append(st.IPv6Addrs, a.IPNet.String())
	}
	return st
}

// TestVMACsLifecycle creates an IPv4 and an IPv6 VMAC in a fresh namespace and checks them
// against keepalived's: a private macvlan with the virtual MAC, up, with keepalived's
// sysctls on it and (IPv4) on the base, whose old values come back when the VMAC goes; the
// IPv6 one holds the base's link-local address and no address of its own.
func TestVMACsLifecycle(t *testing.T) {
	lab := netnstest.New(t, "hm")
	ns := lab.NewNS("v")
	br := lab.NewBridge()
	br.Attach(ns, "hm0", net.HardwareAddr{2, 0, 0, 0, 0, 1}, netip.MustParsePrefix("192.0.2.1/24"))
	ns.SetLinkUp("hm0", true)
	ns.WaitReady("hm0")
	ll := ns.LinkLocal("hm0")
	for k, v := range map[string]string{"net/ipv4/conf/hm0/arp_ignore": "2", "net/ipv4/conf/hm0/arp_filter": "0"} {
		if err := ns.WriteSysctl(k, v); err != nil {
			t.Fatal(err)
		}
	}
	record := filepath.Join(t.TempDir(), "vmacs.json")
	m, err := OpenVMACs(record, ns.Handle, nsSysctl{ns}, nil)
	if err != nil {
		t.Fatal(err)
	}
	v4 := VMAC{Name: DefaultVMACName(51), Base: "hm0", VRID: 51}
	v6 := VMAC{Name: "vrrp6.51", Base: "hm0", VRID: 51, IPv6: true}
	for _, v := range []VMAC{v4, v6} {
		if err := m.CreateVMAC(v); err != nil {
			t.Fatal(err)
		}
	}
	c4 := "net/ipv4/conf/vrrp.51/"
	got := readVMAC(t, ns, "vrrp.51", c4+"arp_ignore", c4+"accept_local", c4+"rp_filter", "net/ipv6/conf/vrrp.51/disable_ipv6",
		"net/ipv4/conf/hm0/arp_ignore", "net/ipv4/conf/hm0/arp_filter")
	want := vmacState{Kind: "macvlan", Mode: "private", MAC: "00:00:5e:00:01:33", Parent: "hm0", Up: true,
		Sysctls: map[string]string{c4 + "arp_ignore": "1", c4 + "accept_local": "1", c4 + "rp_filter": "0",
			"net/ipv6/conf/vrrp.51/disable_ipv6": "1", "net/ipv4/conf/hm0/arp_ignore": "1", "net/ipv4/conf/hm0/arp_filter": "1"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("IPv4 VMAC (-want +got):\n%s", diff)
	}
	got = readVMAC(t, ns, "vrrp6.51", "net/ipv4/conf/vrrp6.51/arp_ignore")
	want = vmacState{Kind: "macvlan", Mode: "private", MAC: "00:00:5e:00:02:33", Parent: "hm0", Up: true,
		Sysctls: map[string]string{"net/ipv4/conf/vrrp6.51/arp_ignore": "1"}, IPv6Addrs: []string{ll.String() + "/64"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("IPv6 VMAC (-want +got):\n%s", diff)
	}

	for _, v := range []VMAC{v4, v6} {
		if err := m.DeleteVMAC(v); err != nil {
			t.Fatal(err)
		}
		if _, err := ns.Handle.LinkByName(v.Name); err == nil {
			t.Errorf("%s still exists after DeleteVMAC", v.Name)
		}
	}
	for k, want := range map[string]string{"net/ipv4/conf/hm0/arp_ignore": "2", "net/ipv4/conf/hm0/arp_filter": "0"} {
		if got, _ := ns.ReadSysctl(k); got != want {
			t.Errorf("%s = %s after the last VMAC went, want the value from before, %s", k, got, want)
		}
	}
	if got := m.Recorded(); len(got) != 0 {
		t.Errorf("record after DeleteVMAC: %v, want empty", got)
	}
}

// TestVMACsOwnership checks that only VMACs on record are touched: one an earlier run left
// (its record read by a new VMACs) is removed by RemoveLeftovers, while an interface of a
// VMAC's name that halvs did not create is refused and left alone.
func TestVMACsOwnership(t *testing.T) {
	lab := netnstest.New(t, "hm")
	ns := lab.NewNS("o")
	br := lab.NewBridge()
	br.Attach(ns, "hm0", net.HardwareAddr{2, 0, 0, 0, 0, 2}, netip.MustParsePrefix("192.0.2.2/24"))
	record := filepath.Join(t.TempDir(), "vmacs.json")
	first, err := OpenVMACs(record, ns.Handle, nsSysctl{ns}, nil)
	if err != nil {
		t.Fatal(err)
	}
	left := VMAC{Name: "vrrp.7", Base: "hm0", VRID: 7}
	if err := first.CreateVMAC(left); err != nil {
		t.Fatal(err)
	}
	// The host's own interface with the name another VMAC wants.
	hm0, err := ns.Handle.LinkByName("hm0")
	if err != nil {
		t.Fatal(err)
	}
	host := &netlink.Macvlan{LinkAttrs: netlink.LinkAttrs{Name: "vrrp.8", ParentIndex: hm0.Attrs().Index}, Mode: netlink.MACVLAN_MODE_BRIDGE}
	if err := ns.Handle.LinkAdd(host); err != nil {
		t.Fatal(err)
	}

	// A new run (the first was killed): it reads the record.
	next, err := OpenVMACs(record, ns.Handle, nsSysctl{ns}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := next.CreateVMAC(VMAC{Name: "vrrp.8", Base: "hm0", VRID: 8}); !errors.Is(err, ErrNotOurVMAC) {
		t.Errorf("CreateVMAC over the host's vrrp.8: %v, want ErrNotOurVMAC", err)
	}
	if err := next.DeleteVMAC(VMAC{Name: "vrrp.8", Base: "hm0", VRID: 8}); err != nil {
		t.Fatal(err)
	}
	if l, err := ns.Handle.LinkByName("vrrp.8"); err != nil || l.(*netlink.Macvlan).Mode != netlink.MACVLAN_MODE_BRIDGE {
		t.Errorf("the host's vrrp.8 was touched: %v, %v", l, err)
	}
	next.RemoveLeftovers(nil)
	if _, err := ns.Handle.LinkByName("vrrp.7"); err == nil {
		t.Error("vrrp.7, left by the earlier run, still exists after RemoveLeftovers")
	}
	if got, _ := ns.ReadSysctl("net/ipv4/conf/hm0/arp_ignore"); got != "0" {
		t.Errorf("hm0 arp_ignore = %s after the leftover went, want 0 again", got)
	}
}
