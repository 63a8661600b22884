package doctor

import (
	"net/netip"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/halvs/halvs/internal/netnstest"
)

// findings runs the checks with the Live System inside ns and lists "check: problem".
func findings(t *testing.T, ns *netnstest.NS, o Options) (fails []string, rep *Report) {
	t.Helper()
	ns.MustDo(func() error { rep = Run(&Live{}, o); return nil })
	for _, f := range rep.Findings {
		fails = append(fails, f.Check+": "+f.Problem)
	}
	return fails, rep
}

// TestDirectorHostInNamespace: a director namespace whose interface's only address is the
// VIP, whose config names a missing interface, and which has lb_kind NAT without forwarding.
func TestDirectorHostInNamespace(t *testing.T) {
	lab := netnstest.New(t, "ho")
	br := lab.NewBridge()
	ns := lab.NewNS("dir")
	br.Attach(ns, "ho0", nil, netip.PrefixFrom(vip, 24)) // the VIP as the director's own address
	ins := []Instance{
		{Name: "VI_1", Interface: "ho0", VRID: 51, VIPs: []netip.Addr{vip}, Track: []string{"ho9"}},
	}
	got, _ := findings(t, ns, Options{Role: Director, Instances: ins, NAT: true})
	want := []string{
		"interface: VI_1 names interface ho9, which this host does not have: halvs run refuses to start",
		"ip_forward: net.ipv4.ip_forward is 0, but an IPv4 virtual server uses lb_kind NAT: the real servers' replies, routed through this director, are dropped",
		"primary: VIP 10.10.10.22 is the primary address of ho0 (10.10.10.22/24): the director has no address of its own there, so its VRRP adverts come from the VIP, and a VIP configured on the host stays when this director is BACKUP",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("findings (-want +got):\n%s", diff)
	}

	// Fixed: the director's own address first, the VIP after it, forwarding on, no ho9.
	ns.Run("ip", "addr", "flush", "dev", "ho0")
	ns.AddAddr("ho0", rsAddr)
	ns.AddAddr("ho0", netip.PrefixFrom(vip, 32))
	if err := ns.WriteSysctl("net/ipv4/ip_forward", "1"); err != nil {
		t.Fatal(err)
	}
	ins[0].Track = nil
	got, rep := findings(t, ns, Options{Role: Director, Instances: ins, NAT: true})
	if len(got) > 0 {
		t.Errorf("findings after the fixes: %q", got)
	}
	for _, p := range []string{"the interfaces the instances name exist", "no VIP is a director's primary address", "net.ipv4.ip_forward = 1 for lb_kind NAT"} {
		if !slices.Contains(rep.Passed, p) {
			t.Errorf("passed %q, want %q among them", rep.Passed, p)
		}
	}
}

// TestRealServerHostInNamespace: without --vip the VIPs are the ones on lo; a TUN real
// server without tunl0 (or with it down) is told to run `halvs realserver up --tun`.
func TestRealServerHostInNamespace(t *testing.T) {
	ns := realServerNS(t)
	listen(t, ns, ":8080")
	got, rep := findings(t, ns, Options{Role: RealServer})
	if len(got) > 0 || !slices.Contains(rep.Passed, "VIPs found on lo: 10.10.10.22") || !slices.Contains(rep.Passed, "VIP 10.10.10.22 on lo") {
		t.Errorf("real server without --vip: findings %q, passed %q", got, rep.Passed)
	}
	_, rep = findings(t, ns, Options{Role: RealServer, TUN: true})
	var tun []Finding
	for _, f := range rep.Findings {
		if f.Check == "tunl0" {
			tun = append(tun, f)
		}
	}
	var links []Link
	ns.MustDo(func() (err error) { links, err = (&Live{}).Links(); return })
	has := slices.ContainsFunc(links, func(l Link) bool { return l.Name == "tunl0" && l.Up })
	switch {
	case has && len(tun) > 0:
		t.Errorf("tunl0 is up, yet: %+v", tun)
	case !has && (len(tun) != 1 || tun[0].Fix != "halvs realserver up --tun --vip 10.10.10.22"):
		t.Errorf("no tunl0 up here: want one tunl0 finding with its fix, got %+v", tun)
	}
}
