package vrrp

import (
	"errors"
	"fmt"
	"net/netip"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/halvs/halvs/internal/clock/clocktest"
	"github.com/halvs/halvs/vrrp/vrrptest"
)

// changes strips what the hook saw down to the StateChanges.
func changes(ss []seen) []StateChange {
	out := make([]StateChange, 0, len(ss))
	for _, s := range ss {
		out = append(out, s.StateChange)
	}
	return out
}

// TestStateChangeOrder: every change of both hosts is reported once, in order, with its
// reason, priority and time; A's MASTER only once its VIP is up and the first GARP burst is
// out, before its notify_master runs; its STOP only once the VIP is gone.
func TestStateChangeOrder(t *testing.T) {
	l, a, b := pair(t, vi1(150), vi1(100))
	stopAt := l.clock.Now()
	a.r.Shutdown()
	l.advance(2 * time.Second)

	masterAt := t0.Add(MasterDownInterval(3, 150, time.Second))
	wantA := []StateChange{
		{Name: "VI_1", From: StateInit, To: StateBackup, Reason: "startup", Priority: 150, At: t0},
		{Name: "VI_1", From: StateBackup, To: StateMaster, Reason: "master down timer expired", Priority: 150, At: masterAt,
			Armed: MasterDownInterval(3, 150, time.Second)}, // armed at startup: no LastAdvert
		{Name: "VI_1", From: StateMaster, To: StateStop, Reason: "shutdown", Priority: 150, At: stopAt},
	}
	wantB := []StateChange{
		{Name: "VI_1", From: StateInit, To: StateBackup, Reason: "startup", Priority: 100, At: t0},
		{Name: "VI_1", From: StateBackup, To: StateMaster, Reason: "master sent priority 0", Priority: 100,
			At: stopAt.Add(SkewTime(3, 100, time.Second)), Armed: SkewTime(3, 100, time.Second), LastAdvert: stopAt},
	}
	seenA := a.reported()
	if diff := cmp.Diff(wantA, changes(seenA), cmpNet); diff != "" {
		t.Errorf("A's changes (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(wantB, changes(b.reported()), cmpNet); diff != "" {
		t.Errorf("B's changes (-want +got):\n%s", diff)
	}
	if len(seenA) != 3 {
		t.FailNow()
	}
	master, stop := seenA[1], seenA[2]
	if diff := cmp.Diff([]netip.Prefix{vipPfx}, master.addrs, cmpNet); diff != "" {
		t.Errorf("addresses when MASTER was reported (-want +got):\n%s", diff)
	}
	if master.garps != DefaultGARPRepeat {
		t.Errorf("%d announcements when MASTER was reported, want the first burst of %d", master.garps, DefaultGARPRepeat)
	}
	// The BACKUP notify script had run; notify_master and notify MASTER had not.
	if master.scripts != 1 {
		t.Errorf("%d notify scripts had run when MASTER was reported, want 1 (BACKUP's)", master.scripts)
	}
	if len(stop.addrs) != 0 {
		t.Errorf("addresses when STOP was reported: %v, want none", stop.addrs)
	}
}

// TestStateChangeNotDelayedBySlowScript: a notify script that does not return holds back
// the scripts after it, never the report of the next change.
func TestStateChangeNotDelayedBySlowScript(t *testing.T) {
	l := newLab(t)
	a := l.host(hostA)
	gate := make(chan struct{})
	a.script.gate = gate
	released := false
	release := func() {
		if !released {
			released = true
			close(gate)
		}
	}
	t.Cleanup(release) // before the lab's Shutdown, which waits for the scripts
	l.ignoreNotify = true
	a.apply(t, vi1(150))
	l.advance(5 * time.Second)

	var got []State
	for _, c := range a.reported() {
		got = append(got, c.To)
	}
	if diff := cmp.Diff([]State{StateBackup, StateMaster}, got); diff != "" {
		t.Errorf("reported while the BACKUP script hangs (-want +got):\n%s", diff)
	}
	if runs := a.script.all(); len(runs) != 1 {
		t.Errorf("scripts started: %q, want only BACKUP's notify", runs)
	}
	release()
	l.ignoreNotify = false
	l.settle()
	want := [][]string{
		{"/bin/notify", "x", "INSTANCE", "VI_1", "BACKUP", "150"},
		{"/bin/to-master"},
		{"/bin/notify", "x", "INSTANCE", "VI_1", "MASTER", "150"},
	}
	if diff := cmp.Diff(want, a.script.all()); diff != "" {
		t.Errorf("scripts once released (-want +got):\n%s", diff)
	}
}

// TestSyncGroupStateChange: a sync group's agreed state is reported as a group change,
// after the members' own.
func TestSyncGroupStateChange(t *testing.T) {
	l := newLab(t)
	a := l.host(hostA)
	vi2 := vi1(150)
	vi2.Name, vi2.VRID = "VI_2", 52
	vi2.VIPs = []VIP{{Prefix: netip.MustParsePrefix("10.10.20.22/32")}}
	if err := a.r.Apply([]InstanceConfig{vi1(150), vi2}, []SyncGroupConfig{{Name: "VG_1", Members: []string{"VI_1", "VI_2"}}}); err != nil {
		t.Fatal(err)
	}
	l.advance(5 * time.Second)
	var group []StateChange
	masters := 0
	for _, c := range a.reported() {
		if c.SyncGroup {
			if masters != 2 && c.To == StateMaster {
				t.Errorf("group MASTER reported after %d members' MASTER, want 2", masters)
			}
			group = append(group, c.StateChange)
		} else if c.To == StateMaster {
			masters++
		}
	}
	want := []StateChange{
		{Name: "VG_1", SyncGroup: true, From: StateInit, To: StateBackup},
		{Name: "VG_1", SyncGroup: true, From: StateBackup, To: StateMaster},
	}
	if diff := cmp.Diff(want, group, cmpNet, cmp.FilterPath(func(p cmp.Path) bool { return p.Last().String() == ".At" }, cmp.Ignore())); diff != "" {
		t.Errorf("group changes (-want +got):\n%s", diff)
	}
	if got := group[len(group)-1].FIFOLine(); got != "GROUP \"VG_1\" MASTER 0\n" {
		t.Errorf("FIFOLine = %q", got)
	}
}

// TestExcludedVIPs: virtual_ipaddress_excluded go and come with the VIPs and are announced,
// but the adverts carry only the VIPs; a reload changes them in place.
func TestExcludedVIPs(t *testing.T) {
	ex6 := netip.MustParsePrefix("2001:db8::9/64")
	ex4 := netip.MustParsePrefix("10.0.0.9/32")
	ex4b := netip.MustParsePrefix("10.0.0.10/32")
	cfgA := vi1(150)
	cfgA.ExcludedVIPs = []VIP{{Prefix: ex6}, {Prefix: ex4, Dev: "eth1"}}
	l, a, b := pair(t, cfgA, vi1(100))

	if diff := cmp.Diff([]netip.Prefix{ex4, vipPfx, ex6}, a.addr.Held(), cmpNet); diff != "" {
		t.Errorf("A's addresses as MASTER (-want +got):\n%s", diff)
	}
	for _, p := range []netip.Prefix{ex6, ex4} {
		if n := a.ann.Count(p.Addr()); n != DefaultGARPRepeat {
			t.Errorf("%v announced %d times, want %d", p, n, DefaultGARPRepeat)
		}
	}
	if len(b.addr.Held()) != 0 {
		t.Errorf("B holds %v as BACKUP", b.addr.Held())
	}
	// B's VIP list is the VIP alone: an advert carrying more would be noted as a mismatch.
	if c := b.r.Instance("VI_1").Counters(); c.AdvertsReceived == 0 || c.Drops[NoteVIPMismatch] != 0 {
		t.Errorf("B received %d adverts, %d with another VIP list; want some, none",
			c.AdvertsReceived, c.Drops[NoteVIPMismatch])
	}

	// Reload: 10.0.0.9 goes, 10.0.0.10 comes, the rest stays; A stays MASTER.
	cfgA.ExcludedVIPs = []VIP{{Prefix: ex6}, {Prefix: ex4b}}
	a.addr.TakeOps()
	a.apply(t, cfgA)
	l.advance(3 * time.Second)
	ops := a.addr.Ops()
	// The new address first, so that an address that only changed its prefix is never missing.
	if diff := cmp.Diff([]string{"add " + ex4b.String(), "del " + ex4.String()}, ops); diff != "" {
		t.Errorf("reload's address changes (-want +got):\n%s", diff)
	}
	if c := a.r.Instance("VI_1").Counters(); state(a) != StateMaster || c.Transitions[StateMaster] != 1 {
		t.Errorf("A is %v after %d takeovers, want MASTER after 1", state(a), c.Transitions[StateMaster])
	}

	a.r.Shutdown()
	l.advance(2 * time.Second)
	if got := a.addr.Held(); len(got) != 0 {
		t.Errorf("A still holds %v after shutdown", got)
	}
	if diff := cmp.Diff([]netip.Prefix{vipPfx}, b.addr.Held(), cmpNet); diff != "" {
		t.Errorf("B's addresses after the takeover (-want +got):\n%s", diff)
	}
}

// armClock is a clocktest.Clock that signals each timer armed.
type armClock struct {
	*clocktest.Clock
	armed chan struct{}
}

func (c armClock) AfterFunc(d time.Duration, f func()) Timer {
	t := c.Clock.AfterFunc(d, f)
	select {
	case c.armed <- struct{}{}:
	default:
	}
	return t
}

// TestOpenTransportRetry: Apply retries while the interface has no source address yet (a
// tentative IPv6 link-local) and fails at once on any other error.
func TestOpenTransportRetry(t *testing.T) {
	other := errors.New("no such device")
	tests := []struct {
		name      string
		failures  int   // calls that fail before one succeeds; -1 for all
		err       error // what they fail with
		wantCalls int   // 0: more than one
		wantErr   error
	}{
		{name: "DAD then up", failures: 3, err: ErrNoSourceAddress, wantCalls: 4},
		{name: "never an address", failures: -1, err: ErrNoSourceAddress, wantErr: ErrNoSourceAddress},
		{name: "other error", failures: -1, err: other, wantCalls: 1, wantErr: other},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clock := armClock{clocktest.New(t0), make(chan struct{}, 1)}
			seg := &vrrptest.Segment{}
			calls := 0
			r, err := NewRouter(Deps{
				Addresser: &vrrptest.Addresser{}, Announcer: &vrrptest.Announcer{}, Clock: clock, Logger: testLogger(t),
				OpenTransport: func(k TransportKey) (Transport, error) {
					calls++
					if tt.failures < 0 || calls <= tt.failures {
						return nil, fmt.Errorf("vrrp: dial transport on %s: %w", k.Dev, tt.err)
					}
					return seg.Port(hostA), nil
				},
			})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(r.Shutdown)
			done := make(chan error, 1)
			go func() { done <- r.Apply([]InstanceConfig{vi1(150)}, nil) }()
			for err == nil {
				select {
				case err = <-done:
					if err == nil {
						err = errNone
					}
				case <-clock.armed:
					clock.AdvanceSettled(openRetryMax, func() {})
				}
			}
			if err == errNone {
				err = nil
			}
			if !errors.Is(err, tt.wantErr) || (err == nil) != (tt.wantErr == nil) {
				t.Errorf("Apply = %v, want %v", err, tt.wantErr)
			}
			if tt.wantCalls != 0 && calls != tt.wantCalls || tt.wantCalls == 0 && calls < 2 {
				t.Errorf("%d opens, want %d (0: several)", calls, tt.wantCalls)
			}
			if tt.wantErr == nil && r.Instance("VI_1") == nil {
				t.Error("no instance running after the retries")
			}
			if errors.Is(tt.wantErr, ErrNoSourceAddress) && clock.Now().Sub(t0) < openRetryFor {
				t.Errorf("gave up after %v, want at least %v", clock.Now().Sub(t0), openRetryFor)
			}
		})
	}
}

var errNone = errors.New("none")

// TestStateChangeArmedFromMasterInterval: a version 3 backup times the master with the
// master's advertised interval, not its own advert_int, and its takeover's StateChange says
// which timer ran and from which advert.
func TestStateChangeArmedFromMasterInterval(t *testing.T) {
	cfgA := vi1(150)
	cfgA.Interval = 300 * time.Millisecond
	l, a, b := pair(t, cfgA, vi1(100))
	a.port.Crash()
	// A advertises every 300 ms from its takeover; its last advert is the latest such tick.
	last := a.r.Instance("VI_1").Status().Since
	for !last.Add(cfgA.Interval).After(l.clock.Now()) {
		last = last.Add(cfgA.Interval)
	}
	l.advance(5 * time.Second)
	got := b.reported()
	if len(got) == 0 {
		t.Fatal("B reported nothing")
	}
	armed := MasterDownInterval(3, 100, cfgA.Interval)
	want := StateChange{Name: "VI_1", From: StateBackup, To: StateMaster, Reason: "master down timer expired",
		Priority: 100, At: last.Add(armed), Armed: armed, LastAdvert: last}
	if diff := cmp.Diff(want, got[len(got)-1].StateChange, cmpNet); diff != "" {
		t.Errorf("B's takeover (-want +got):\n%s", diff)
	}
}
