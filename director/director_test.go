package director

import (
	"encoding/json"
	"errors"
	"net/netip"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/halvs/halvs/control"
	"github.com/halvs/halvs/lvs"
	"github.com/halvs/halvs/vrrp"
)

// owner is an address owner (priority 255): MASTER at startup, without waiting for a peer.
func owner(name string, vrid int, vip, extra string) string {
	return `vrrp_instance "` + name + `" {
  state             = "MASTER"
  interface         = "eth0"
  virtual_router_id = ` + strconv.Itoa(vrid) + `
  advert_int        = "100ms"
  version           = 3
  virtual_ipaddress = ["` + vip + `"]
` + extra + `}
`
}

// masterOf waits for instance name to be MASTER without letting protocol time pass: for an
// address owner, MASTER from its startup. Others need their master-down timer (k.clock.until).
func masterOf(t *testing.T, d *Director, name string) *vrrp.Instance {
	t.Helper()
	var inst *vrrp.Instance
	eventually(t, name+" MASTER", func() bool {
		inst = d.router.Instance(name)
		return inst != nil && inst.Status().State == vrrp.StateMaster
	})
	return inst
}

func TestVRRPOnlyNeverTouchesIPVS(t *testing.T) {
	k := newKernel()
	opts := k.options(t)
	opts.OpenIPVS = func() (lvs.Backend, error) {
		t.Error("IPVS opened for a config without virtual servers")
		return nil, lvs.ErrNoIPVS
	}
	d, err := New(parse(t, owner("VI_1", 51, "10.0.0.100/24", "")), opts)
	if err != nil {
		t.Fatal(err)
	}
	stop := running(t, d)
	masterOf(t, d, "VI_1")
	eventually(t, "VIP added", func() bool { return k.hasVIP("10.0.0.100/24") })
	st := d.Status(t.Context())
	if d.ipvs.Load() != nil || len(st.VirtualServers) != 0 || st.SyncDaemon != nil {
		t.Errorf("IPVS in use for a VRRP-only config: status %+v", st)
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if k.hasVIP("10.0.0.100/24") {
		t.Error("VIP still present after stop")
	}
	if p := k.sentPriorities(); len(p) == 0 || p[len(p)-1] != 0 {
		t.Errorf("last advert priorities %v, want a priority-0 advert at stop", p)
	}
}

// TestHandedInKernelPiecesStayOpen: an Addresser and Announcer passed through Options are
// the caller's; the Director closes only those it opened itself.
func TestHandedInKernelPiecesStayOpen(t *testing.T) {
	k := newKernel()
	d, err := New(parse(t, owner("VI_1", 51, "10.0.0.100/24", "")), k.options(t))
	if err != nil {
		t.Fatal(err)
	}
	stop := running(t, d)
	masterOf(t, d, "VI_1")
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string(nil), k.closeCalls()); diff != "" {
		t.Errorf("Close calls on the caller's pieces (-want +got):\n%s", diff)
	}
}

func TestNewRefusesWithoutIPVS(t *testing.T) {
	k := newKernel()
	k.noIPVS = true
	_, err := New(parse(t, owner("VI_1", 51, "10.0.0.100/24", "")+`
virtual_server "10.0.0.100:80" {
  protocol = "TCP"
  real_server "10.0.1.1:80" {}
}
`), k.options(t))
	if !errors.Is(err, lvs.ErrNoIPVS) {
		t.Fatalf("New = %v, want ErrNoIPVS", err)
	}
}

// TestReloadDecisions checks what a reload keeps, changes in place and restarts.
func TestReloadDecisions(t *testing.T) {
	base := owner("VI_1", 51, "10.0.0.1/32", "") + owner("VI_2", 52, "10.0.0.2/32", "") + owner("VI_3", 53, "10.0.0.3/32", "")
	tests := []struct {
		name        string
		next        string
		kept        []string // same *vrrp.Instance, VIP never removed
		restarted   []string // a new *vrrp.Instance
		gone        []string
		wantVIPs    []string
		wantRemoved []string // VIPs removed by the reload
	}{
		{
			name:     "unchanged",
			next:     base,
			kept:     []string{"VI_1", "VI_2", "VI_3"},
			wantVIPs: []string{"10.0.0.1/32", "10.0.0.2/32", "10.0.0.3/32"},
		},
		{
			name: "notify and VIP change in place, VRID change restarts, removed stops, new starts",
			next: strings.Replace(owner("VI_1", 51, "10.0.0.1/32", ""), `state             = "MASTER"`,
				"state = \"MASTER\"\n  notify_master = \"/bin/true\"", 1) +
				owner("VI_2", 52, "10.0.0.12/32", "") + owner("VI_3", 63, "10.0.0.13/32", "") +
				owner("VI_4", 54, "10.0.0.4/32", ""),
			kept:        []string{"VI_1", "VI_2"},
			restarted:   []string{"VI_3"},
			wantVIPs:    []string{"10.0.0.1/32", "10.0.0.12/32", "10.0.0.13/32", "10.0.0.4/32"},
			wantRemoved: []string{"10.0.0.2/32", "10.0.0.3/32"},
		},
		{
			name:        "an instance removed",
			next:        owner("VI_1", 51, "10.0.0.1/32", "") + owner("VI_2", 52, "10.0.0.2/32", ""),
			kept:        []string{"VI_1", "VI_2"},
			gone:        []string{"VI_3"},
			wantVIPs:    []string{"10.0.0.1/32", "10.0.0.2/32"},
			wantRemoved: []string{"10.0.0.3/32"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k := newKernel()
			d, err := New(parse(t, base), k.options(t))
			if err != nil {
				t.Fatal(err)
			}
			running(t, d)
			before := map[string]*vrrp.Instance{}
			for _, n := range []string{"VI_1", "VI_2", "VI_3"} {
				before[n] = masterOf(t, d, n)
			}
			eventually(t, "VIPs added", func() bool { return k.hasVIP("10.0.0.3/32") })
			opsBefore := len(k.opLog())
			if err := d.Reload(parse(t, tt.next)); err != nil {
				t.Fatal(err)
			}
			for _, n := range tt.kept {
				if got := d.router.Instance(n); got != before[n] {
					t.Errorf("%s was restarted, want it kept", n)
				}
			}
			for _, n := range tt.restarted {
				masterOf(t, d, n)
				if d.router.Instance(n) == before[n] {
					t.Errorf("%s was kept, want it restarted", n)
				}
			}
			for _, n := range tt.gone {
				if d.router.Instance(n) != nil {
					t.Errorf("%s still runs", n)
				}
			}
			for _, v := range tt.wantVIPs {
				eventually(t, "VIP "+v, func() bool { return k.hasVIP(v) })
			}
			for _, v := range tt.wantRemoved {
				eventually(t, "VIP "+v+" removed", func() bool { return !k.hasVIP(v) })
			}
			var removed []string
			for _, op := range k.opLog()[opsBefore:] {
				if v, ok := strings.CutPrefix(op, "del "); ok {
					removed = append(removed, v)
				}
			}
			slices.Sort(removed)
			if diff := cmp.Diff(tt.wantRemoved, removed); diff != "" {
				t.Errorf("VIPs removed by the reload (-want +got):\n%s", diff)
			}
		})
	}
}

func TestReloadRefusedKeepsRunning(t *testing.T) {
	k := newKernel()
	d, err := New(parse(t, owner("VI_1", 51, "10.0.0.1/32", "")), k.options(t))
	if err != nil {
		t.Fatal(err)
	}
	running(t, d)
	inst := masterOf(t, d, "VI_1")
	eventually(t, "VIP", func() bool { return k.hasVIP("10.0.0.1/32") })

	// A config the vrrp package refuses (v2 cannot carry IPv6) changes nothing.
	bad := parse(t, owner("VI_1", 51, "10.0.0.1/32", "")+owner("VI_6", 52, "fe80::1", ""))
	bad.VRRPInstances[1].Version = 2
	if err := d.Reload(bad); err == nil {
		t.Fatal("Reload accepted a config vrrp refuses")
	}
	// A transport that cannot open (an interface that is gone) refuses the reload whole.
	k.mu.Lock()
	k.openErr = errors.New("no such interface")
	k.mu.Unlock()
	if err := d.Reload(parse(t, owner("VI_1", 51, "10.0.0.1/32", "")+strings.Replace(owner("VI_9", 59, "10.0.0.9/32", ""), "eth0", "eth9", 1))); err == nil {
		t.Fatal("Reload accepted a config whose transport cannot open")
	}
	if d.router.Instance("VI_1") != inst || d.router.Instance("VI_9") != nil {
		t.Error("a refused reload changed the running instances")
	}
	if slices.Contains(k.opLog(), "del 10.0.0.1/32") {
		t.Error("a refused reload removed the VIP")
	}
}

const lvsConfig = `
global {
  lvs_sync_daemon {
    interface = "eth0"
    instance  = "VI_1"
  }
}
virtual_server "10.0.0.1:80" {
  protocol = "TCP"
  lb_algo  = "wrr"
  lb_kind  = "DR"
  real_server "10.0.1.1:80" {
    weight = 3
  }
  real_server "10.0.1.2:80" {
    weight = 2
    tcp_check {
      connect_ip   = "127.0.0.1"
      connect_port = 1
      alpha        = true
      delay_loop   = 3600
    }
  }
}
`

func table(t *testing.T, m *lvs.Memory) map[string]int {
	t.Helper()
	vss, err := m.Services()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int{}
	for _, vs := range vss {
		for _, d := range vs.Destinations {
			out[vs.Service.Key.String()+" "+d.Addr.String()] = d.Weight
		}
	}
	return out
}

func TestIPVSTableHealthAndSyncDaemon(t *testing.T) {
	for _, keep := range []bool{false, true} {
		t.Run(map[bool]string{false: "stop removes", true: "keep-ipvs keeps"}[keep], func(t *testing.T) {
			k := newKernel()
			opts := k.options(t)
			opts.KeepIPVS = keep
			d, err := New(parse(t, owner("VI_1", 51, "10.0.0.1/32", "")+lvsConfig), opts)
			if err != nil {
				t.Fatal(err)
			}
			stop := running(t, d)
			masterOf(t, d, "VI_1")
			svc := lvs.NewServiceKey(lvs.TCP, netip.MustParseAddrPort("10.0.0.1:80")).String()
			// 10.0.1.2 starts down (alpha): withdrawn until a check succeeds, and its check,
			// of a closed port, cannot.
			want := map[string]int{svc + " 10.0.1.1:80": 3}
			eventually(t, "table programmed", func() bool { return cmp.Equal(want, table(t, k.ipvs)) })
			eventually(t, "sync daemon master", func() bool {
				ds, _ := k.ipvs.SyncDaemons()
				return len(ds) == 1 && ds[0].Role == lvs.SyncMaster && ds[0].SyncID == 51
			})
			st := d.Status(t.Context())
			if st.SyncDaemon == nil || st.SyncDaemon.Role != "master" || len(st.VirtualServers) != 1 {
				t.Fatalf("status: %+v", st)
			}
			rs := st.VirtualServers[0].RealServers
			if len(rs) != 2 || !rs[0].InTable || rs[0].EffectiveWeight != 3 || rs[1].Health == control.HealthUp || rs[1].InTable {
				t.Errorf("real servers status: %+v", rs)
			}
			if _, err := json.Marshal(st); err != nil {
				t.Errorf("status does not marshal: %v", err)
			}
			if err := stop(); err != nil {
				t.Fatal(err)
			}
			got := table(t, k.ipvs)
			ds, _ := k.ipvs.SyncDaemons()
			if keep && (!cmp.Equal(want, got) || len(ds) != 1) {
				t.Errorf("--keep-ipvs: table %v, daemons %v; want both kept", got, ds)
			}
			if !keep && (len(got) != 0 || len(ds) != 0) {
				t.Errorf("stop: table %v, daemons %v; want both gone", got, ds)
			}
		})
	}
}

func TestReloadIPVSMinimalDiffAndHealthKept(t *testing.T) {
	k := newKernel()
	d, err := New(parse(t, owner("VI_1", 51, "10.0.0.1/32", "")+lvsConfig), k.options(t))
	if err != nil {
		t.Fatal(err)
	}
	running(t, d)
	svc := lvs.NewServiceKey(lvs.TCP, netip.MustParseAddrPort("10.0.0.1:80")).String()
	eventually(t, "table programmed", func() bool { return len(table(t, k.ipvs)) == 1 })
	changes := k.ipvs.Changes()

	// Same config: no IPVS operation, the down server stays withdrawn.
	if err := d.Reload(parse(t, owner("VI_1", 51, "10.0.0.1/32", "")+lvsConfig)); err != nil {
		t.Fatal(err)
	}
	// Weight of the healthy server changed, one real server added: two operations.
	next := strings.Replace(lvsConfig, "weight = 3", "weight = 5", 1)
	next = strings.Replace(next, `  real_server "10.0.1.2:80" {`, "  real_server \"10.0.1.3:80\" {}\n  real_server \"10.0.1.2:80\" {", 1)
	if err := d.Reload(parse(t, owner("VI_1", 51, "10.0.0.1/32", "")+next)); err != nil {
		t.Fatal(err)
	}
	want := map[string]int{svc + " 10.0.1.1:80": 5, svc + " 10.0.1.3:80": 1}
	eventually(t, "table after reload", func() bool { return cmp.Equal(want, table(t, k.ipvs)) })
	if got := k.ipvs.Changes() - changes; got != 2 {
		t.Errorf("reloads cost %d IPVS operations, want 2 (one update, one add)", got)
	}
}

// TestTrackersAndExcluded feeds a failing vrrp_script and a lost quorum to an instance, and
// manages virtual_ipaddress_excluded with the MASTER state.
func TestTrackersAndExcluded(t *testing.T) {
	k := newKernel()
	cfg := `
vrrp_script "chk_fail" {
  script   = "/bin/false"
  interval = 3600
  weight   = -20
}
vrrp_instance "VI_1" {
  state             = "MASTER"
  interface         = "eth0"
  virtual_router_id = 51
  priority          = 200
  advert_int        = "100ms"
  version           = 3
  virtual_ipaddress = ["10.0.0.1/32"]
  virtual_ipaddress_excluded = ["2001:db8::1/64"]
  track_script      = ["chk_fail"]
  track_virtual_server = ["10.0.0.1:80 weight -50"]
}
` + strings.Replace(lvsConfig, `lb_algo  = "wrr"`, "lb_algo = \"wrr\"\n  quorum = 10", 1)
	d, err := New(parse(t, cfg), k.options(t))
	if err != nil {
		t.Fatal(err)
	}
	stop := running(t, d)
	// The script's first run is due at once: it runs when the clock moves.
	k.clock.until(t, "priority 200-20-50", func() bool {
		inst := d.router.Instance("VI_1")
		return inst != nil && inst.Status().Priority == 130
	})
	k.clock.until(t, "excluded VIP added on MASTER", func() bool { return k.hasVIP("2001:db8::1/64") })
	if st := d.Status(t.Context()); trackerState(st, "script", "chk_fail") != "down" || st.VirtualServers[0].QuorumUp {
		t.Errorf("status: chk_fail %q, quorum up %v; want down and lost", trackerState(st, "script", "chk_fail"), st.VirtualServers[0].QuorumUp)
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if k.hasVIP("2001:db8::1/64") || k.hasVIP("10.0.0.1/32") {
		t.Errorf("VIPs left after stop: %v", k.opLog())
	}
}

// TestReloadStopsInstanceWithNotifyStop: an instance removed by a reload runs notify_stop
// while the reload is in progress; neither the reload nor Status waits for that script.
func TestReloadStopsInstanceWithNotifyStop(t *testing.T) {
	k := newKernel()
	dir := t.TempDir()
	mark, release := dir+"/stopped", dir+"/release"
	script := dir + "/stop.sh"
	body := "#!/bin/sh\nwhile [ ! -e " + release + " ]; do sleep 0.01; done\ntouch " + mark + "\n"
	if err := os.WriteFile(script, []byte(body), 0o700); err != nil {
		t.Fatal(err)
	}
	extra := `  notify_stop = "` + script + `"` + "\n"
	d, err := New(parse(t, owner("VI_1", 51, "10.0.0.1/32", "")+owner("VI_2", 52, "10.0.0.2/32", extra)), k.options(t))
	if err != nil {
		t.Fatal(err)
	}
	running(t, d)
	// Registered after running's: runs before Run's Shutdown, which waits for the script.
	t.Cleanup(func() { os.WriteFile(release, nil, 0o600) })
	masterOf(t, d, "VI_2")
	done := make(chan error, 1)
	go func() { done <- d.Reload(parse(t, owner("VI_1", 51, "10.0.0.1/32", ""))) }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Reload hung while the removed instance ran notify_stop")
	}
	var names []string
	for _, is := range d.Status(t.Context()).Instances {
		names = append(names, is.Name)
	}
	if diff := cmp.Diff([]string{"VI_1"}, names); diff != "" {
		t.Errorf("instances while VI_2's notify_stop runs (-want +got):\n%s", diff)
	}
	if _, err := os.Stat(mark); err == nil {
		t.Fatal("notify_stop finished before it was released")
	}
	if err := os.WriteFile(release, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	eventually(t, "notify_stop to finish", func() bool { _, err := os.Stat(mark); return err == nil })
}
