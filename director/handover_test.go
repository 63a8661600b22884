package director

import (
	"errors"
	"fmt"
	"maps"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/halvs/halvs/lvs"
	"github.com/halvs/halvs/vrrp"
)

// TestHandoverPlan: lvs_handover_accept routes each virtual server on a VRRP instance's VIP
// (by protocol, port and the VIP's interface) to a table where the VIP is local; on by
// default with the sync daemon only, and leaves out servers on other addresses, firewall
// marks, groups and NAT.
func TestHandoverPlan(t *testing.T) {
	services := `
virtual_server "10.0.0.1:80" {
  lb_kind  = "DR"
  protocol = "TCP"
  real_server "10.0.0.11:80" {}
}
virtual_server "10.0.0.1:53" {
  lb_kind  = "DR"
  protocol = "UDP"
  real_server "10.0.0.11:53" {}
}
virtual_server "[2001:db8::1]:443" {
  lb_kind  = "DR"
  protocol = "TCP"
  real_server "[2001:db8::11]:443" {}
}
virtual_server "10.0.0.9:80" {
  lb_kind = "DR"
  real_server "10.0.0.11:80" {}
}
virtual_server "10.0.0.1:8080" {
  lb_kind  = "NAT"
  protocol = "TCP"
  real_server "10.0.0.11:8080" {}
}
virtual_server "fwmark:7" {
  lb_kind = "DR"
  real_server "10.0.0.11:80" {}
}
`
	vips := owner("VI_1", 51, "10.0.0.1/24", `  virtual_ipaddress_excluded = ["2001:db8::1/64 dev eth1"]
`)
	sync := `global {
  lvs_sync_daemon {
    interface = "eth0"
    instance  = "VI_1"
  }
%s}
`
	wantRoutes := []string{"local 10.0.0.1/32 dev lo table 18518 scope host", "local 2001:db8::1/128 dev lo table 18518 scope host"}
	wantRules := []string{
		"32000: from all to 10.0.0.1/32 iif eth0 ipproto 6 dport 80-80 lookup 18518",
		"32000: from all to 10.0.0.1/32 iif eth0 ipproto 17 dport 53-53 lookup 18518",
		"32000: from all to 2001:db8::1/128 iif eth1 ipproto 6 dport 443-443 lookup 18518",
	}
	for _, c := range []struct {
		name, global string
		on           bool
	}{
		{"sync daemon", fmt.Sprintf(sync, ""), true},
		{"sync daemon, turned off", fmt.Sprintf(sync, "  lvs_handover_accept = false\n"), false},
		{"no sync daemon", "", false},
		{"no sync daemon, turned on", "global {\n  lvs_handover_accept = true\n}\n", true},
	} {
		t.Run(c.name, func(t *testing.T) {
			routes, rules := handoverPlan(parse(t, c.global+vips+services))
			var wr, wl []string
			if c.on {
				wr, wl = wantRoutes, wantRules
			}
			if diff := cmp.Diff(wr, stringsOf(routes)); diff != "" {
				t.Errorf("routes (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(wl, stringsOf(rules)); diff != "" {
				t.Errorf("rules (-want +got):\n%s", diff)
			}
		})
	}
}

// TestHandoverDrainAtStop: a MASTER that stops with lvs_handover_accept releases its VIP
// first and keeps its handover rules and IPVS services for two advert intervals, so that
// what clients still send it before the backup's GARP is served; then removes them.
func TestHandoverDrainAtStop(t *testing.T) {
	k := newKernel()
	opts := k.options(t)
	mem := &vrrp.MemoryRoutes{}
	opts.Routes = mem
	// No preemption delay: the stop does not wait for the sync backup first (syncgate.go).
	conf := strings.Replace(lvsConfig, "global {", "global {\n  lvs_sync_preempt_delay = 0", 1)
	d, err := New(parse(t, owner("VI_1", 51, "10.0.0.1/32", "")+conf), opts)
	if err != nil {
		t.Fatal(err)
	}
	stop := running(t, d)
	masterOf(t, d, "VI_1")
	wantRule := "32000: from all to 10.0.0.1/32 iif eth0 ipproto 6 dport 80-80 lookup 18518"
	eventually(t, "the handover rule", func() bool { return slices.Contains(mem.Rules(), wantRule) })
	eventually(t, "the table", func() bool { return len(table(t, k.ipvs)) > 0 })

	stopped := make(chan error, 1)
	go func() { stopped <- stop() }()
	eventually(t, "the VIP released", func() bool { return !k.hasVIP("10.0.0.1/32") })
	if !slices.Contains(mem.Rules(), wantRule) || len(table(t, k.ipvs)) == 0 {
		t.Errorf("when the VIP was released: rules %q, table %v; want both kept for the drain", mem.Rules(), table(t, k.ipvs))
	}
	if err := <-stopped; err != nil {
		t.Fatal(err)
	}
	if got := mem.Rules(); len(got) != 0 {
		t.Errorf("rules after stop: %q", got)
	}
	if got := table(t, k.ipvs); len(got) != 0 {
		t.Errorf("IPVS table after stop: %v", got)
	}
}

// fakeMarker records the mid-stream filters in force, "dev pref vip ports mark".
type fakeMarker struct {
	fail  error // returned by Mark
	mu    sync.Mutex
	marks map[string][]string // by "dev pref"
}

func (m *fakeMarker) Mark(dev string, vip netip.Addr, ports []uint16, pref uint16, mark uint32) error {
	if m.fail != nil {
		return m.fail
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.marks == nil {
		m.marks = map[string][]string{}
	}
	k := fmt.Sprintf("%s %d", dev, pref)
	m.marks[k] = append(m.marks[k], fmt.Sprintf("%v %v %#x", vip, ports, mark))
	return nil
}

func (m *fakeMarker) Unmark(dev string, pref uint16) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.marks, fmt.Sprintf("%s %d", dev, pref))
	return nil
}

func (m *fakeMarker) all() map[string][]string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return maps.Clone(m.marks)
}

// handoverRig runs VI_1 (priority 150) with the sync daemon and a DR virtual server on its
// VIP, behind a fake peer, with marker as its mid-stream marker; sysctl reads what the
// director set.
func handoverRig(t *testing.T, marker MidStreamMarker) (k *kernel, inst *vrrp.Instance, peer *peerTransport, sysctl func(string) string) {
	t.Helper()
	k = newKernel()
	r := &takeoverRig{k: k}
	opts := k.options(t)
	opts.MidStream = marker
	opts.GetIPVSSysctl = func(name string) (string, error) {
		k.mu.Lock()
		defer k.mu.Unlock()
		if v, ok := k.sysctl[name]; ok {
			return v, nil
		}
		return "0", nil
	}
	opts.OpenTransport = func(vrrp.TransportKey) (vrrp.Transport, error) {
		r.peer = &peerTransport{k.seg.Port(localAddr)}
		return r.peer, nil
	}
	conf := `global {
  lvs_sync_preempt_delay = 0
  lvs_sync_daemon {
    interface = "eth0"
    instance  = "VI_1"
  }
}
virtual_server "10.0.0.100:80" {
  protocol = "TCP"
  lb_kind  = "DR"
  real_server "10.0.1.1:80" {}
}
` + instance("VI_1", 51, 150, "10.0.0.100/24")
	d, err := New(parse(t, conf), opts)
	if err != nil {
		t.Fatal(err)
	}
	running(t, d)
	eventually(t, "VI_1 running", func() bool { return d.router.Instance("VI_1") != nil })
	inst = d.router.Instance("VI_1")
	sysctl = func(name string) string { v, _ := opts.GetIPVSSysctl(name); return v }
	// The peer, priority 100, advertises every 100 ms until VI_1 (150) preempts it.
	steps := 0
	k.clock.until(t, "VI_1 preempts the advertising peer", func() bool {
		if inst.Status().State == vrrp.StateMaster {
			return true
		}
		if steps%10 == 0 { // until's steps are 10 ms
			r.peer.advert(t, 100)
			eventually(t, "the advert handled", func() bool { return !k.seg.Busy() })
		}
		steps++
		return false
	})
	return k, inst, r.peer, sysctl
}

// TestHandoverForwarding: a director that preempts a master still advertising hands the
// mid-stream packets its table does not know over to it: a firewall-mark service to the
// old master by direct routing, the VIP's mid-stream packets marked and sloppy_tcp on for
// the window; after it, the marking and sloppy_tcp go and the service stays while MASTER;
// leaving MASTER removes the service. A takeover from a silent master hands nothing over.
func TestHandoverForwarding(t *testing.T) {
	defer func(w time.Duration) { handoverWindow = w }(handoverWindow)
	handoverWindow = 300 * time.Millisecond
	marker := &fakeMarker{}
	k, inst, peer, sysctl := handoverRig(t, marker)
	markKey := lvs.FWMarkKey(0x48560000, lvs.IPv4)

	eventually(t, "the handover service", func() bool {
		vs, err := k.ipvs.Service(markKey)
		return err == nil && len(vs.Destinations) == 1 && vs.Destinations[0].Addr == netip.AddrPortFrom(peerAddr, 0) &&
			vs.Destinations[0].Forward == lvs.DR
	})
	want := map[string][]string{"eth0 18518": {"10.0.0.100 [80] 0x48560000"}}
	if diff := cmp.Diff(want, marker.all()); diff != "" {
		t.Errorf("marks during the window (-want +got):\n%s", diff)
	}
	if got := sysctl("sloppy_tcp"); got != "1" {
		t.Errorf("sloppy_tcp during the window = %q, want 1", got)
	}
	eventually(t, "the window closed", func() bool { return len(marker.all()) == 0 && sysctl("sloppy_tcp") == "0" })
	if _, err := k.ipvs.Service(markKey); err != nil {
		t.Errorf("the handover service after the window: %v, want it kept while MASTER", err)
	}

	// A higher-priority master: VI_1 steps down, the service goes.
	peer.advert(t, 200)
	k.clock.until(t, "VI_1 BACKUP", func() bool { return inst.Status().State == vrrp.StateBackup })
	eventually(t, "the handover service removed", func() bool { _, err := k.ipvs.Service(markKey); return err != nil })

	// The peer falls silent: VI_1 takes over from nobody alive, and hands nothing over.
	k.clock.until(t, "VI_1 MASTER after the silence", func() bool { return inst.Status().State == vrrp.StateMaster })
	time.Sleep(50 * time.Millisecond) // the IPVS queue's turn
	if _, err := k.ipvs.Service(markKey); err == nil || len(marker.all()) != 0 {
		t.Errorf("a takeover from a silent master handed over: service err %v, marks %v", err, marker.all())
	}
}

// TestHandoverWithoutMarking: when the interface cannot mark packets (no cls_u32, say), the
// handover is off: it logs so, and sloppy_tcp is left alone.
func TestHandoverWithoutMarking(t *testing.T) {
	k, _, _, sysctl := handoverRig(t, &fakeMarker{fail: errors.New("TC classifier not found")})
	eventually(t, "the handover service", func() bool { _, err := k.ipvs.Service(lvs.FWMarkKey(0x48560000, lvs.IPv4)); return err == nil })
	time.Sleep(50 * time.Millisecond) // the rest of the IPVS queue's job
	if got := sysctl("sloppy_tcp"); got != "0" {
		t.Errorf("sloppy_tcp = %q with no marking, want it left at 0", got)
	}
}
