package vrrp

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

var (
	hostA  = netip.MustParseAddr("10.10.10.30")
	hostB  = netip.MustParseAddr("10.10.10.31")
	vipPfx = netip.MustParsePrefix("10.10.10.22/32")
)

func vi1(prio uint8) InstanceConfig {
	return InstanceConfig{
		Name: "VI_1", Interface: "eth0", VRID: 51, Version: 3, Priority: prio,
		Interval: time.Second, VIPs: []VIP{{Prefix: vipPfx}},
		Notify: NotifyConfig{Master: []string{"/bin/to-master"}, Notify: []string{"/bin/notify", "x"}},
	}
}

func state(h *host) State { return h.r.Instance("VI_1").Status().State }

// pair starts A (priority 150) and B (priority 100) and lets them elect.
func pair(t *testing.T, cfgA, cfgB InstanceConfig) (*lab, *host, *host) {
	l := newLab(t)
	a, b := l.host(hostA), l.host(hostB)
	a.apply(t, cfgA)
	b.apply(t, cfgB)
	l.advance(5 * time.Second)
	return l, a, b
}

func TestElection(t *testing.T) {
	_, a, b := pair(t, vi1(150), vi1(100))
	if state(a) != StateMaster || state(b) != StateBackup {
		t.Fatalf("states A=%v B=%v, want MASTER BACKUP", state(a), state(b))
	}
	if !a.addr.Has(vipPfx) || b.addr.Has(vipPfx) {
		t.Errorf("VIP on A=%v B=%v, want only A", a.addr.Has(vipPfx), b.addr.Has(vipPfx))
	}
	// A's takeover: at 3 × 1 s + Skew_Time(150), with the advert before the VIP before the
	// GARP burst of 5.
	st := a.r.Instance("VI_1").Status()
	if want := t0.Add(MasterDownInterval(3, 150, time.Second)); !st.Since.Equal(want) {
		t.Errorf("A became master at %v, want %v", st.Since.Sub(t0), want.Sub(t0))
	}
	if n := a.ann.Count(vipPfx.Addr()); n != DefaultGARPRepeat {
		t.Errorf("A sent %d announcements, want %d", n, DefaultGARPRepeat)
	}
	if c := b.r.Instance("VI_1").Counters(); c.AdvertsReceived == 0 || c.Transitions[StateMaster] != 0 {
		t.Errorf("B counters %+v: want adverts received and never master", c)
	}
	if got, want := a.fifoText(), "INSTANCE \"VI_1\" BACKUP 150\nINSTANCE \"VI_1\" MASTER 150\n"; got != want {
		t.Errorf("A's notify FIFO:\n%q, want\n%q", got, want)
	}
	wantRuns := [][]string{
		{"/bin/notify", "x", "INSTANCE", "VI_1", "BACKUP", "150"},
		{"/bin/to-master"},
		{"/bin/notify", "x", "INSTANCE", "VI_1", "MASTER", "150"},
	}
	if diff := cmp.Diff(wantRuns, a.script.all()); diff != "" {
		t.Errorf("A's notify scripts (-want +got):\n%s", diff)
	}
}

func TestGracefulStopFailsOverAfterSkew(t *testing.T) {
	l, a, b := pair(t, vi1(150), vi1(100))
	stopAt := l.clock.Now()
	a.r.Shutdown()
	l.settle()
	if a.addr.Has(vipPfx) {
		t.Error("A kept the VIP after shutdown")
	}
	if !strings.HasSuffix(a.fifoText(), "INSTANCE \"VI_1\" STOP 150\n") {
		t.Errorf("A's FIFO does not end with STOP: %q", a.fifoText())
	}
	l.advance(2 * time.Second)
	st := b.r.Instance("VI_1").Status()
	if st.State != StateMaster || !b.addr.Has(vipPfx) {
		t.Fatalf("B is %v with VIP %v, want MASTER with VIP", st.State, b.addr.Has(vipPfx))
	}
	// Exactly Skew_Time(100) after A's priority-0 advert.
	if want := stopAt.Add(SkewTime(3, 100, time.Second)); !st.Since.Equal(want) {
		t.Errorf("B took over %v after the stop, want %v", st.Since.Sub(stopAt), want.Sub(stopAt))
	}
	if st.LastReason != "master sent priority 0" {
		t.Errorf("reason %q", st.LastReason)
	}
}

func TestCrashFailsOverAfterMasterDownInterval(t *testing.T) {
	l, a, b := pair(t, vi1(150), vi1(100))
	// A advertises on whole seconds after its takeover; crash it right after one advert.
	a.port.Crash()
	last := a.r.Instance("VI_1").Status().Since
	for last.Add(time.Second).Before(l.clock.Now()) || last.Add(time.Second).Equal(l.clock.Now()) {
		last = last.Add(time.Second)
	}
	l.advance(5 * time.Second)
	st := b.r.Instance("VI_1").Status()
	if st.State != StateMaster {
		t.Fatalf("B is %v, want MASTER", st.State)
	}
	if want := last.Add(MasterDownInterval(3, 100, time.Second)); !st.Since.Equal(want) {
		t.Errorf("B took over %v after A's last advert, want %v", st.Since.Sub(last), want.Sub(last))
	}
}

// TestMasterDownRunsFromKernelReceiveTime: the backup's Master_Down_Interval runs from
// when the kernel received the master's last advert (Packet.ReceivedAt), not from when the
// runner got to it.
func TestMasterDownRunsFromKernelReceiveTime(t *testing.T) {
	l, a, b := pair(t, vi1(150), vi1(100))
	a.port.Crash()
	adv := Advertisement{Version: 3, Type: TypeAdvertisement, VRID: 51, Priority: 150,
		Interval: time.Second, Addrs: []netip.Addr{vipPfx.Addr()}}
	msg := mustMarshal(t, adv, hostA, MulticastIPv4, CodecOptions{})
	received := l.clock.Now().Add(-200 * time.Millisecond)
	b.port.Inject(Packet{Src: hostA, Dst: MulticastIPv4, HopLimit: 255, Payload: msg, ReceivedAt: received})
	l.advance(5 * time.Second)
	st := b.r.Instance("VI_1").Status()
	if want := received.Add(MasterDownInterval(3, 100, time.Second)); st.State != StateMaster || !st.Since.Equal(want) {
		t.Errorf("B is %v since %v, want MASTER since %v (the advert's kernel receive time + Master_Down_Interval)",
			st.State, st.Since.Sub(received), want.Sub(received))
	}
}

// TestStartPreparesAnnouncements: an instance gets the announcer ready for its VIPs when it
// starts, before any takeover needs them.
func TestStartPreparesAnnouncements(t *testing.T) {
	_, a, _ := pair(t, vi1(150), vi1(100))
	got := a.ann.Prepared()
	if diff := cmp.Diff([]string{"eth0 " + vipPfx.Addr().String()}, got); diff != "" {
		t.Errorf("Prepare calls before the first announcement (-want +got):\n%s", diff)
	}
}

func TestPreemptAndNoPreempt(t *testing.T) {
	for _, noPreempt := range []bool{false, true} {
		t.Run(map[bool]string{false: "preempt", true: "nopreempt"}[noPreempt], func(t *testing.T) {
			cfgA := vi1(150)
			cfgA.NoPreempt = noPreempt
			l, a, b := pair(t, cfgA, vi1(100))
			a.r.Shutdown()
			l.advance(2 * time.Second)
			if state(b) != StateMaster {
				t.Fatalf("B is %v after A stopped", state(b))
			}
			a.apply(t, cfgA) // A comes back
			l.advance(10 * time.Second)
			wantA, wantB := StateMaster, StateBackup
			if noPreempt {
				wantA, wantB = StateBackup, StateMaster
			}
			if state(a) != wantA || state(b) != wantB {
				t.Errorf("A=%v B=%v, want %v %v", state(a), state(b), wantA, wantB)
			}
			if a.addr.Has(vipPfx) == b.addr.Has(vipPfx) {
				t.Errorf("VIP on A=%v B=%v: want exactly one", a.addr.Has(vipPfx), b.addr.Has(vipPfx))
			}
		})
	}
}

func TestSplitBrainHeals(t *testing.T) {
	l, a, b := pair(t, vi1(150), vi1(100))
	l.seg.Cut(func(from, to netip.Addr) bool { return true })
	l.advance(5 * time.Second)
	if state(a) != StateMaster || state(b) != StateMaster {
		t.Fatalf("partitioned: A=%v B=%v, want both MASTER", state(a), state(b))
	}
	before := a.ann.Count(vipPfx.Addr())
	l.seg.Cut(nil)
	l.advance(1 * time.Second)
	if state(a) != StateMaster || state(b) != StateBackup || b.addr.Has(vipPfx) {
		t.Errorf("healed: A=%v B=%v (B has VIP %v), want MASTER BACKUP", state(a), state(b), b.addr.Has(vipPfx))
	}
	if a.ann.Count(vipPfx.Addr()) <= before {
		t.Error("A did not re-announce the VIP after seeing B's lower-priority advert")
	}
}

func TestAnnouncementSchedule(t *testing.T) {
	l := newLab(t)
	a := l.host(hostA)
	cfg := vi1(255)
	cfg.GARPRepeat, cfg.GARPDelay, cfg.GARPRefresh, cfg.GARPRefreshRepeat = 3, 2*time.Second, 10*time.Second, 2
	a.apply(t, cfg)
	l.settle()
	for _, step := range []struct {
		after time.Duration
		want  int
	}{{0, 3}, {1999 * time.Millisecond, 3}, {time.Millisecond, 6}, {10 * time.Second, 8}, {10 * time.Second, 10}} {
		l.advance(step.after)
		if got := a.ann.Count(vipPfx.Addr()); got != step.want {
			t.Errorf("at %v: %d announcements, want %d", l.clock.Now().Sub(t0), got, step.want)
		}
	}
}

func TestVIPRepair(t *testing.T) {
	l, a, _ := pair(t, vi1(150), vi1(100))
	a.addr.Drop(vipPfx)
	l.advance(time.Second)
	if !a.addr.Has(vipPfx) {
		t.Fatal("the missing VIP was not re-added")
	}
	if c := a.r.Instance("VI_1").Counters(); c.VIPRepairs != 1 {
		t.Errorf("VIPRepairs = %d, want 1", c.VIPRepairs)
	}
}

// A MASTER checks its VIPs in the kernel at most once a second, not on every advert: at
// advert_int 0.1 s a check per advert was half of its CPU time.
func TestVIPCheckEverySecond(t *testing.T) {
	fast := vi1(150)
	fast.Interval = 100 * time.Millisecond
	l, a, _ := pair(t, fast, vi1(100))
	before := a.addr.Checks()
	for range 30 { // 3 s of adverts, 30 of them
		l.advance(100 * time.Millisecond)
	}
	if got := a.addr.Checks() - before; got < 2 || got > 4 {
		t.Errorf("%d VIP checks in 3 s of adverts every 0.1 s, want 2 to 4 (one a second)", got)
	}
	a.addr.Drop(vipPfx)
	l.advance(time.Second)
	if !a.addr.Has(vipPfx) {
		t.Error("a VIP dropped was not re-added within a second")
	}
}

func TestLinkDownFaultsAndMovesVIP(t *testing.T) {
	l, a, b := pair(t, vi1(150), vi1(100))
	a.links.Set("eth0", false)
	l.advance(time.Second)
	if state(a) != StateFault || a.addr.Has(vipPfx) {
		t.Errorf("A is %v with VIP %v, want FAULT without", state(a), a.addr.Has(vipPfx))
	}
	if state(b) != StateMaster || !b.addr.Has(vipPfx) {
		t.Errorf("B is %v with VIP %v, want MASTER with it", state(b), b.addr.Has(vipPfx))
	}
	a.links.Set("eth0", true)
	l.advance(5 * time.Second)
	if state(a) != StateMaster || state(b) != StateBackup {
		t.Errorf("after link up: A=%v B=%v, want MASTER BACKUP", state(a), state(b))
	}
}

func TestTrackersChangePriority(t *testing.T) {
	cfgA := vi1(150)
	cfgA.Track = []Track{{Kind: TrackScript, Name: "chk_nginx", Weight: -60}, {Kind: TrackVirtualServer, Name: "web", Weight: 0}}
	l, a, b := pair(t, cfgA, vi1(100))
	inst := a.r.Instance("VI_1")
	inst.SetTracked(TrackScript, "chk_nginx", false)
	l.advance(5 * time.Second)
	if p := inst.Status().Priority; p != 90 {
		t.Errorf("priority %d, want 90", p)
	}
	if state(a) != StateBackup || state(b) != StateMaster {
		t.Errorf("after the script failed: A=%v B=%v, want BACKUP MASTER", state(a), state(b))
	}
	inst.SetTracked(TrackScript, "chk_nginx", true)
	inst.SetTracked(TrackVirtualServer, "web", false)
	l.advance(5 * time.Second)
	if st := inst.Status(); st.State != StateFault || st.Priority != 150 {
		t.Errorf("virtual server down: %v priority %d, want FAULT 150", st.State, st.Priority)
	}
}

func TestReloadKeepsState(t *testing.T) {
	l, a, _ := pair(t, vi1(150), vi1(100))
	inst := a.r.Instance("VI_1")
	cfg := vi1(140)
	cfg.GARPRepeat = 1
	a.apply(t, cfg)
	l.advance(2 * time.Second)
	if a.r.Instance("VI_1") != inst {
		t.Fatal("an unchanged instance was restarted")
	}
	st := inst.Status()
	if st.State != StateMaster || st.Priority != 140 || !a.addr.Has(vipPfx) {
		t.Errorf("after reload: %v priority %d VIP %v, want MASTER 140 with VIP", st.State, st.Priority, a.addr.Has(vipPfx))
	}
	if c := inst.Counters(); c.Transitions[StateMaster] != 1 {
		t.Errorf("%d transitions to MASTER, want 1 (no flap)", c.Transitions[StateMaster])
	}
	// A VRID change restarts it.
	cfg.VRID = 52
	a.apply(t, cfg)
	if a.r.Instance("VI_1") == inst {
		t.Error("a VRID change did not restart the instance")
	}
}

func TestApplyRejectsBadConfigWithoutChange(t *testing.T) {
	l := newLab(t)
	a := l.host(hostA)
	a.apply(t, vi1(150))
	inst := a.r.Instance("VI_1")
	bad := vi1(150)
	bad.Name = "VI_2" // same VRID on the same interface
	if err := a.r.Apply([]InstanceConfig{vi1(150), bad}, nil); err == nil {
		t.Fatal("duplicate VRID accepted")
	}
	if a.r.Instance("VI_1") != inst || a.r.Instance("VI_2") != nil {
		t.Error("a rejected Apply changed the running set")
	}
}

func TestReceiveDropsAreCounted(t *testing.T) {
	l, _, b := pair(t, vi1(150), vi1(100))
	msg := mustMarshal(t, Advertisement{Version: 3, Type: TypeAdvertisement, VRID: 51, Priority: 200,
		Interval: time.Second, Addrs: []netip.Addr{vipPfx.Addr()}}, hostA, MulticastIPv4, CodecOptions{})
	b.port.Inject(Packet{Src: hostA, Dst: MulticastIPv4, HopLimit: 64, Payload: msg})
	bad := append([]byte(nil), msg...)
	bad[7] ^= 0xff
	b.port.Inject(Packet{Src: hostA, Dst: MulticastIPv4, HopLimit: 255, Payload: bad})
	other := append([]byte(nil), msg...)
	other[1] = 99
	b.port.Inject(Packet{Src: hostA, Dst: MulticastIPv4, HopLimit: 255, Payload: other})
	l.settle()
	c := b.r.Instance("VI_1").Counters()
	if c.Drops[DropTTL] != 1 || c.Drops[DropChecksum] != 1 {
		t.Errorf("drops %v, want one ttl and one checksum", c.Drops)
	}
	if d := b.r.UnroutedDrops(); d[DropVRID] != 1 {
		t.Errorf("unrouted drops %v, want one vrid", d)
	}
}

func TestSyncGroupFaultPullsMembers(t *testing.T) {
	l := newLab(t)
	a := l.host(hostA)
	vi2 := vi1(150)
	vi2.Name, vi2.VRID, vi2.Interface = "VI_2", 52, "eth1"
	vi2.VIPs = []VIP{{Prefix: netip.MustParsePrefix("10.10.20.22/32")}}
	cfgs := []InstanceConfig{vi1(150), vi2}
	if err := a.r.Apply(cfgs, []SyncGroupConfig{{Name: "VG_1", Members: []string{"VI_1", "VI_2"}}}); err != nil {
		t.Fatal(err)
	}
	l.advance(5 * time.Second)
	if s1, s2 := state(a), a.r.Instance("VI_2").Status().State; s1 != StateMaster || s2 != StateMaster {
		t.Fatalf("alone on the segment: VI_1=%v VI_2=%v, want both MASTER", s1, s2)
	}
	if g := a.r.SyncGroup("VG_1"); g.State() != StateMaster {
		t.Errorf("group state %v, want MASTER", g.State())
	}
	a.links.Set("eth1", false)
	l.advance(time.Second)
	if s1, s2 := state(a), a.r.Instance("VI_2").Status().State; s1 != StateFault || s2 != StateFault {
		t.Errorf("eth1 down: VI_1=%v VI_2=%v, want both FAULT", s1, s2)
	}
	if !strings.Contains(a.fifoText(), "GROUP \"VG_1\" FAULT 0\n") {
		t.Errorf("no group FAULT line in %q", a.fifoText())
	}
	a.links.Set("eth1", true)
	l.advance(10 * time.Second)
	if s1, s2 := state(a), a.r.Instance("VI_2").Status().State; s1 != StateMaster || s2 != StateMaster {
		t.Errorf("eth1 up: VI_1=%v VI_2=%v, want both MASTER", s1, s2)
	}
}

// TestReloadWatchesTrackInterfaces: a reload that adds a track_interface watches it (its
// state counts at once), and one that removes it stops the watcher.
func TestReloadWatchesTrackInterfaces(t *testing.T) {
	l, a, _ := pair(t, vi1(150), vi1(100))
	inst := a.r.Instance("VI_1")
	if n := a.links.Watching("eth1"); n != 0 {
		t.Fatalf("%d watchers of eth1 before it is tracked", n)
	}
	cfg := vi1(150)
	cfg.Track = []Track{{Kind: TrackInterface, Name: "eth1", Weight: -60}}
	a.apply(t, cfg)
	l.settle()
	if a.r.Instance("VI_1") != inst {
		t.Fatal("adding a tracker restarted the instance")
	}
	if n := a.links.Watching("eth1"); n != 1 {
		t.Fatalf("%d watchers of eth1 after the reload, want 1", n)
	}
	a.links.Set("eth1", false)
	l.advance(5 * time.Second)
	if st := inst.Status(); st.Priority != 90 || st.State != StateBackup {
		t.Errorf("eth1 down: %v priority %d, want BACKUP 90", st.State, st.Priority)
	}

	a.apply(t, vi1(150)) // the tracker goes
	l.advance(5 * time.Second)
	if n := a.links.Watching("eth1"); n != 0 {
		t.Errorf("%d watchers of eth1 after it stopped being tracked, want 0", n)
	}
	if st := inst.Status(); st.Priority != 150 || st.State != StateMaster {
		t.Errorf("tracker removed: %v priority %d, want MASTER 150", st.State, st.Priority)
	}
	if n := a.links.Watching("eth0"); n != 1 {
		t.Errorf("%d watchers of the instance's own eth0, want 1", n)
	}
	a.r.Shutdown()
	if n := a.links.Watching("eth0"); n != 0 {
		t.Errorf("%d watchers of eth0 after Shutdown, want 0", n)
	}
}

// TestApplyDoesNotWaitForNotifyStop: a reload that removes an instance whose notify_stop
// blocks returns once the instance has stopped, and readers never wait for the script;
// Shutdown waits for it.
func TestApplyDoesNotWaitForNotifyStop(t *testing.T) {
	l := newLab(t)
	l.ignoreNotify = true
	a := l.host(hostA)
	vi2 := vi1(150)
	vi2.Name, vi2.VRID = "VI_2", 52
	vi2.VIPs = []VIP{{Prefix: netip.MustParsePrefix("10.10.20.22/32")}}
	vi2.Notify.Stop = []string{"/bin/stop"}
	a.apply(t, vi1(150), vi2)
	l.advance(5 * time.Second)
	gate := make(chan struct{})
	a.script.mu.Lock()
	a.script.gate = gate
	a.script.mu.Unlock()

	applied := make(chan error, 1)
	go func() { applied <- a.r.Apply([]InstanceConfig{vi1(150)}, nil) }()
	select {
	case err := <-applied:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		close(gate)
		t.Fatal("Apply waited for a blocked notify_stop")
	}
	var names []string
	for _, i := range a.r.Instances() {
		names = append(names, i.Name())
	}
	if diff := cmp.Diff([]string{"VI_1"}, names); diff != "" {
		t.Errorf("instances while notify_stop runs (-want +got):\n%s", diff)
	}
	if a.addr.Has(netip.MustParsePrefix("10.10.20.22/32")) {
		t.Error("Apply returned before VI_2 released its VIP")
	}

	shut := make(chan struct{})
	go func() { a.r.Shutdown(); close(shut) }()
	select {
	case <-shut:
		t.Fatal("Shutdown returned while a notify_stop was still running")
	case <-time.After(50 * time.Millisecond):
	}
	close(gate)
	<-shut
	var stops int
	for _, argv := range a.script.all() {
		if argv[0] == "/bin/stop" {
			stops++
		}
	}
	if stops != 1 {
		t.Errorf("notify_stop ran %d times, want 1", stops)
	}
}

// TestBeforePreemptClaim: an instance that preempts a master still advertising calls
// BeforePreemptClaim with that master's address before it adds its VIPs; one that takes
// over from a silent master does not call it.
func TestBeforePreemptClaim(t *testing.T) {
	l := newLab(t)
	a, b := l.host(hostA), l.host(hostB)
	var mu sync.Mutex
	var calls []string
	record := func(h *host, name string) func(string, netip.Addr) {
		return func(inst string, preempted netip.Addr) {
			mu.Lock()
			defer mu.Unlock()
			calls = append(calls, fmt.Sprintf("%s: %s %v VIP held %v", name, inst, preempted, h.addr.Has(vipPfx)))
		}
	}
	a.r.deps.BeforePreemptClaim, b.r.deps.BeforePreemptClaim = record(a, "A"), record(b, "B")
	b.apply(t, vi1(100)) // alone: MASTER by the silence, no call
	l.advance(5 * time.Second)
	a.apply(t, vi1(150))
	l.advance(5 * time.Second)
	if state(a) != StateMaster || state(b) != StateBackup {
		t.Fatalf("A %v, B %v: want A to have preempted B", state(a), state(b))
	}
	mu.Lock()
	got := slices.Clone(calls)
	mu.Unlock()
	if want := []string{fmt.Sprintf("A: VI_1 %v VIP held false", hostB)}; !slices.Equal(got, want) {
		t.Errorf("BeforePreemptClaim calls %q, want %q", got, want)
	}
}
