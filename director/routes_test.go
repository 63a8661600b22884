package director

import (
	"net/netip"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/halvs/halvs/control"
	"github.com/halvs/halvs/vrrp"
	"golang.org/x/sys/unix"
)

// TestStaticAndVirtualRoutes: static_* are added at start and kept whatever the state,
// changed in place by a reload, removed at stop; the MASTER's virtual_routes and
// virtual_rules are added with it; a route the host had already is never removed.
func TestStaticAndVirtualRoutes(t *testing.T) {
	k := newKernel()
	opts := k.options(t)
	mem := &vrrp.MemoryRoutes{}
	opts.Routes = mem
	opts.VIPRecord = filepath.Join(t.TempDir(), "halvs.vips.json")
	hostRoute := vrrp.Route{Dst: netip.MustParsePrefix("10.40.0.0/16"), Via: netip.MustParseAddr("10.9.9.1"), Dev: "eth1"}
	if err := mem.AddRoute(hostRoute); err != nil {
		t.Fatal(err)
	}
	src := func(static string) string {
		return owner("VI_1", 51, "10.0.0.1/32", `  virtual_routes = ["10.20.0.0/16 via 10.0.0.254"]
  virtual_rules  = ["from 10.0.0.1 table 100 preference 100"]
`) + `static_ipaddress = ["10.9.9.9/24 dev eth1"]
static_routes    = ["` + static + ` via 10.9.9.1 dev eth1", "10.40.0.0/16 via 10.9.9.1 dev eth1"]
static_rules     = ["to 10.30.0.0/16 table 2 preference 50"]
`
	}
	d, err := New(parse(t, src("10.30.0.0/16")), opts)
	if err != nil {
		t.Fatal(err)
	}
	stop := running(t, d)
	masterOf(t, d, "VI_1")
	wantRoutes := func(dsts ...string) []string {
		var out []string
		for _, s := range dsts {
			switch s {
			case "virtual":
				out = append(out, "10.20.0.0/16 via 10.0.0.254")
			case "host":
				out = append(out, hostRoute.String())
			default:
				out = append(out, s+" via 10.9.9.1 dev eth1")
			}
		}
		slices.Sort(out)
		return out
	}
	eventually(t, "the virtual rule", func() bool { return slices.Contains(mem.Rules(), "100: from 10.0.0.1/32 lookup 100") })
	if diff := cmp.Diff(wantRoutes("10.30.0.0/16", "host", "virtual"), mem.Routes()); diff != "" {
		t.Errorf("routes while MASTER (-want +got):\n%s", diff)
	}
	wantRules := []string{"100: from 10.0.0.1/32 lookup 100", "50: from all to 10.30.0.0/16 lookup 2"} // sorted as text
	if diff := cmp.Diff(wantRules, mem.Rules()); diff != "" {
		t.Errorf("rules while MASTER (-want +got):\n%s", diff)
	}
	if !k.hasVIP("10.9.9.9/24") {
		t.Error("the static address is missing")
	}
	st := d.Status(t.Context())
	gotStatus := []any{st.Instances[0].VirtualRoutes, st.Instances[0].VirtualRules, st.Static}
	wantStatus := []any{[]string{"10.20.0.0/16 via 10.0.0.254"}, []string{"100: from 10.0.0.1/32 lookup 100"}, &control.Static{
		Addresses: []string{"10.9.9.9/24 dev eth1"},
		Routes:    []string{"10.30.0.0/16 via 10.9.9.1 dev eth1", "10.40.0.0/16 via 10.9.9.1 dev eth1"},
		Rules:     []string{"50: from all to 10.30.0.0/16 lookup 2"}}}
	if diff := cmp.Diff(wantStatus, gotStatus); diff != "" {
		t.Errorf("status (-want +got):\n%s", diff)
	}

	if err := d.Reload(parse(t, src("10.31.0.0/16"))); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(wantRoutes("10.31.0.0/16", "host", "virtual"), mem.Routes()); diff != "" {
		t.Errorf("routes after the reload (-want +got):\n%s", diff)
	}

	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(wantRoutes("host"), mem.Routes()); diff != "" {
		t.Errorf("routes after stop (-want +got):\n%s", diff)
	}
	if got := mem.Rules(); len(got) != 0 {
		t.Errorf("rules after stop: %q", got)
	}
	if k.hasVIP("10.9.9.9/24") {
		t.Error("the static address is still there after stop")
	}
}

// TestStartRemovesLeftoverRoutes: a route an earlier run recorded and left (killed while
// MASTER) is removed at start; the config's static routes on record stay.
func TestStartRemovesLeftoverRoutes(t *testing.T) {
	k := newKernel()
	opts := k.options(t)
	mem := &vrrp.MemoryRoutes{}
	opts.Routes = mem
	opts.VIPRecord = filepath.Join(t.TempDir(), "halvs.vips.json")
	left := vrrp.Route{Dst: netip.MustParsePrefix("10.20.0.0/16"), Via: netip.MustParseAddr("10.0.0.254")}
	kept := vrrp.Route{Dst: netip.MustParsePrefix("10.30.0.0/16"), Via: netip.MustParseAddr("10.9.9.1"), Dev: "eth1"}
	earlier, err := vrrp.OpenRouteLedger(routeRecordPath(opts), mem, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range []vrrp.Route{left, kept} {
		if err := earlier.AddRoute(r); err != nil {
			t.Fatal(err)
		}
	}
	d, err := New(parse(t, owner("VI_1", 51, "10.0.0.1/32", "")+`static_routes = ["10.30.0.0/16 via 10.9.9.1 dev eth1"]`+"\n"), opts)
	if err != nil {
		t.Fatal(err)
	}
	running(t, d)
	masterOf(t, d, "VI_1")
	if diff := cmp.Diff([]string{kept.String()}, mem.Routes(), cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("routes after start (-want +got):\n%s", diff)
	}
}

func TestRouteRecordPath(t *testing.T) {
	tests := []struct {
		name string
		opts Options
		want string
	}{
		{"beside the VIP record", Options{VIPRecord: "/run/halvs/halvs.vips.json"}, "/run/halvs/halvs.routes.json"},
		{"another name", Options{VIPRecord: "/tmp/rec"}, "/tmp/rec.routes.json"},
		{"given", Options{VIPRecord: "/tmp/a.vips.json", RouteRecord: "/tmp/r.json"}, "/tmp/r.json"},
		{"in memory", Options{}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := routeRecordPath(tt.opts); got != tt.want {
				t.Errorf("routeRecordPath = %q, want %q", got, tt.want)
			}
		})
	}
}

// TestStaticRoutesRepaired: a static route or rule deleted behind halvs' back is re-added
// within a few seconds, as keepalived does, unless it has no_track.
func TestStaticRoutesRepaired(t *testing.T) {
	k := newKernel()
	opts := k.options(t)
	mem := &vrrp.MemoryRoutes{}
	opts.Routes = mem
	d, err := New(parse(t, owner("VI_1", 51, "10.0.0.1/32", "")+`static_routes = ["10.30.0.0/16 via 10.9.9.1 dev eth1", "10.31.0.0/16 via 10.9.9.1 dev eth1 no_track"]
static_rules  = ["to 10.30.0.0/16 table 2 preference 50"]
`), opts)
	if err != nil {
		t.Fatal(err)
	}
	running(t, d)
	tracked := vrrp.Route{Dst: netip.MustParsePrefix("10.30.0.0/16"), Via: netip.MustParseAddr("10.9.9.1"), Dev: "eth1"}
	untracked := vrrp.Route{Dst: netip.MustParsePrefix("10.31.0.0/16"), Via: netip.MustParseAddr("10.9.9.1"), Dev: "eth1"}
	rule := vrrp.Rule{Priority: 50, To: netip.MustParsePrefix("10.30.0.0/16"), Action: unix.FR_ACT_TO_TBL, Table: 2}
	eventually(t, "the static routes", func() bool { return len(mem.Routes()) == 2 && len(mem.Rules()) == 1 })
	for _, err := range []error{mem.DelRoute(tracked), mem.DelRoute(untracked), mem.DelRule(rule)} {
		if err != nil {
			t.Fatal(err)
		}
	}
	eventually(t, "the tracked route and the rule re-added", func() bool {
		return slices.Equal(mem.Routes(), []string{tracked.String()}) && len(mem.Rules()) == 1
	})
	time.Sleep(2 * staticCheckInterval)
	if slices.Contains(mem.Routes(), untracked.String()) {
		t.Error("the no_track static route was re-added")
	}
}
