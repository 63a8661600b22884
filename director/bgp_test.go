package director

import (
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/halvs/halvs/bgp/bgptest"
	"github.com/halvs/halvs/internal/testutil"
	"github.com/halvs/halvs/vrrp"
)

// bgpSrc is a virtual server without checkers (its real server is up from the start, so
// it has quorum at once) announced by bgp_announce "web", and "dns" tracking nothing.
const bgpSrc = `virtual_server "10.10.10.22:80" {
  protocol = "TCP"
  real_server "10.10.10.31:80" {
  }
}
bgp {
  asn = 65010
  interface = "lo"
  neighbor "10.0.0.1" {
    peer_asn = 65000
  }
}
bgp_announce "web" {
  prefixes             = ["10.10.10.22/32"]
  track_virtual_server = ["10.10.10.22:80"]
  drain_time           = 0.2
}
`

func bgpOptions(t *testing.T, k *kernel) (Options, *bgptest.Speaker, *bgptest.Addresses) {
	t.Helper()
	sp, dm := bgptest.NewSpeaker(), bgptest.NewAddresses()
	opts := k.options(t)
	opts.BGPSpeaker, opts.BGPDummies = sp, dm
	opts.BGPRouterID = func() (netip.Addr, error) { return netip.MustParseAddr("10.0.0.11"), nil }
	return opts, sp, dm
}

// TestBGPRunAnnouncesAndDrains: the quorum fed by the health side announces the prefix,
// whose address goes on the interface through the VIP ledger; Drain and Undrain move it;
// the stop withdraws first, then stops the speaker, then removes the address.
func TestBGPRunAnnouncesAndDrains(t *testing.T) {
	k := newKernel()
	opts, sp, dm := bgpOptions(t, k)
	d, err := New(parse(t, bgpSrc), opts)
	if err != nil {
		t.Fatal(err)
	}
	stop := running(t, d)
	web := []string{"10.10.10.22/32"}
	testutil.Eventually(t, 10*time.Second, "the announcement", func() bool { return slices.Equal(sp.Announced(), web) })
	if !slices.Contains(k.opLog(), "add 10.10.10.22/32") || !d.ledger.Added(vrrp.VIP{Prefix: netip.MustParsePrefix("10.10.10.22/32"), Dev: "lo"}) {
		t.Errorf("the address is not on lo through the ledger: ops %q", k.opLog())
	}
	if _, ok := dm.Of("lo"); !ok {
		t.Errorf("the interface was not ensured")
	}
	st := d.Status(t.Context()).BGP
	if st == nil || len(st.Prefixes) != 1 || !st.Prefixes[0].Announced || st.Prefixes[0].Reason != "every tracked virtual server has quorum" ||
		len(st.Neighbors) != 1 || !st.Neighbors[0].Up {
		t.Errorf("status: %+v", st)
	}

	withdrawn, wait, err := d.Drain()
	if err != nil || wait != 200*time.Millisecond || len(withdrawn) != 1 || len(sp.Announced()) != 0 {
		t.Errorf("Drain: %v, %v, %v; announced %v", withdrawn, wait, err, sp.Announced())
	}
	if ps, err := d.Undrain(); err != nil || len(ps) != 1 || !slices.Equal(sp.Announced(), web) {
		t.Errorf("Undrain: %v, %v; announced %v", ps, err, sp.Announced())
	}

	sp.ResetLog()
	start := time.Now()
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took < 200*time.Millisecond {
		t.Errorf("Run returned %v after the stop, before drain_time 200ms", took)
	}
	if diff := cmp.Diff([]string{"-10.10.10.22/32", "stop"}, sp.Log()); diff != "" {
		t.Errorf("speaker at stop (-want +got):\n%s", diff)
	}
	if ops := k.opLog(); ops[len(ops)-1] != "del 10.10.10.22/32" {
		t.Errorf("the address was not removed last: ops %q", ops)
	}
}

// TestBGPRefusesHostAddress: a prefix the host already holds (not added by halvs) is refused
// at New with its file:line:col, and nothing is started.
func TestBGPRefusesHostAddress(t *testing.T) {
	k := newKernel()
	opts, sp, _ := bgpOptions(t, k)
	opts.Addresser = listingAddresser{&k.addr, []vrrp.HostAddress{hostAddr("lo", "10.10.10.22/32")}}
	_, err := New(parse(t, bgpSrc), opts)
	if err == nil || !strings.Contains(err.Error(), `test.hcl:14:27: bgp_announce "web" prefix 10.10.10.22/32: 10.10.10.22 is already an address of lo`) {
		t.Fatalf("New: %v, want the prefix refused", err)
	}
	if log := sp.Log(); len(log) != 0 {
		t.Errorf("the speaker was used: %q", log)
	}
}

func TestNoBGP(t *testing.T) {
	k := newKernel()
	d, err := New(parse(t, "virtual_server \"10.10.10.22:80\" {\n  protocol = \"TCP\"\n}\n"), k.options(t))
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := d.Drain(); err != ErrNoBGP {
		t.Errorf("Drain without bgp: %v, want ErrNoBGP", err)
	}
	if st := d.Status(t.Context()).BGP; st != nil {
		t.Errorf("status without bgp has a bgp section: %+v", st)
	}
}
