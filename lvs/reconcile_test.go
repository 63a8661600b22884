package lvs

import (
	"context"
	"errors"
	"net/netip"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

var (
	web = tcp("10.10.10.22:80")
	rs1 = dst("10.10.10.31:80", DR, 3)
	rs2 = dst("10.10.10.32:80", DR, 1)
	bg  = context.Background()
)

func mustReconcile(t *testing.T, r *Reconciler) []string {
	t.Helper()
	rep, err := r.Reconcile(bg)
	if err != nil {
		t.Fatalf("Reconcile: %v", err)
	}
	return opStrings(rep.Applied)
}

func mustSet(t *testing.T, r *Reconciler, table ...VirtualServer) {
	t.Helper()
	if err := r.SetDesired(table); err != nil {
		t.Fatalf("SetDesired: %v", err)
	}
}

func TestOwnershipAcrossTables(t *testing.T) {
	m := NewMemory()
	foreign := vs(svc(tcp("192.0.2.1:25"), "rr"), dst("192.0.2.9:25", NAT, 1))
	seed(t, m, foreign)
	r, _ := newTestReconciler(m)

	mustSet(t, r, vs(svc(web, "rr"), rs1), vs(svc(udp("10.10.10.22:53"), "rr")))
	mustReconcile(t, r)
	if diff := cmp.Diff([]ServiceKey{web, udp("10.10.10.22:53")}, r.Owned(), equateNet); diff != "" {
		t.Errorf("owned (-want +got):\n%s", diff)
	}

	// Someone else deletes our UDP service by hand, then the config drops it: nothing to do.
	if err := m.DeleteService(udp("10.10.10.22:53")); err != nil {
		t.Fatal(err)
	}
	mustSet(t, r, vs(svc(web, "rr"), rs1))
	if got := mustReconcile(t, r); got != nil {
		t.Errorf("ops = %q, want none", got)
	}
	// The config drops the web service too: deleted; the foreign one stays.
	mustSet(t, r)
	if diff := cmp.Diff([]string{"-D -t 10.10.10.22:80"}, mustReconcile(t, r)); diff != "" {
		t.Errorf("ops (-want +got):\n%s", diff)
	}
	if len(r.Owned()) != 0 {
		t.Errorf("still owns %v", r.Owned())
	}
	want := lines("-A -t 192.0.2.1:25 -s rr", "-a -t 192.0.2.1:25 -r 192.0.2.9:25 -m -w 1")
	if diff := cmp.Diff(want, tableOf(t, m)); diff != "" {
		t.Errorf("table (-want +got):\n%s", diff)
	}
}

func TestInvalidTableChangesNothing(t *testing.T) {
	m := NewMemory()
	r, _ := newTestReconciler(m)
	mustSet(t, r, vs(svc(web, "rr"), rs1))
	bad := []VirtualServer{vs(svc(web, "rr"), rs1), vs(svc(tcp("10.10.10.23:80"), "rr"), dst("10.10.10.31:80", DR, -1))}
	if err := r.SetDesired(bad); err == nil {
		t.Fatal("SetDesired accepted a weight of -1")
	}
	if diff := cmp.Diff([]string{"-A -t 10.10.10.22:80 -s rr", "-a -t 10.10.10.22:80 -r 10.10.10.31:80 -g -w 3"}, mustReconcile(t, r)); diff != "" {
		t.Errorf("ops (-want +got):\n%s", diff)
	}
}

func TestRetryTransientFailure(t *testing.T) {
	m := NewMemory()
	fails := 2
	m.Fail = func(o Op) error {
		if o.Kind == AddDestination && o.Dest.Addr == rs2.Addr && fails > 0 {
			fails--
			return syscall.ENOMEM
		}
		return nil
	}
	r, fs := newTestReconciler(m)
	mustSet(t, r, vs(svc(web, "rr"), rs1, rs2))
	got := mustReconcile(t, r)
	if len(got) != 3 {
		t.Errorf("ops = %q, want 3", got)
	}
	if diff := cmp.Diff([]time.Duration{100 * time.Millisecond, 200 * time.Millisecond}, fs.waits); diff != "" {
		t.Errorf("backoff (-want +got):\n%s", diff)
	}
}

func TestFailureReportedThenConverges(t *testing.T) {
	m := NewMemory()
	broken := true
	m.Fail = func(o Op) error {
		if broken && o.Kind == AddDestination && o.Dest.Addr == rs2.Addr {
			return syscall.EBUSY
		}
		return nil
	}
	r, fs := newTestReconciler(m)
	mustSet(t, r, vs(svc(web, "rr"), rs1, rs2))
	rep, err := r.Reconcile(bg)
	var oe *OpError
	if !errors.As(err, &oe) || !errors.Is(err, syscall.EBUSY) {
		t.Fatalf("Reconcile error = %v, want an *OpError wrapping EBUSY", err)
	}
	if oe.Op.Kind != AddDestination || oe.Attempts != 3 || len(fs.waits) != 2 {
		t.Errorf("failed op %s after %d attempts and %d waits; want add-destination, 3, 2", oe.Op, oe.Attempts, len(fs.waits))
	}
	if len(rep.Applied) != 2 || len(rep.Failed) != 1 {
		t.Errorf("report: %d applied, %d failed; want 2 and 1", len(rep.Applied), len(rep.Failed))
	}
	// While the service's state is unknown, a weight change waits for the next reconcile.
	if rep, err := r.SetWeight(bg, web, rs1.Addr, 9); err != nil || len(rep.Applied) != 0 {
		t.Errorf("SetWeight on an unconverged service: %q, %v; want no op", opStrings(rep.Applied), err)
	}

	broken = false
	want := []string{
		"-e -t 10.10.10.22:80 -r 10.10.10.31:80 -g -w 9",
		"-a -t 10.10.10.22:80 -r 10.10.10.32:80 -g -w 1",
	}
	if diff := cmp.Diff(want, mustReconcile(t, r)); diff != "" {
		t.Errorf("converging ops (-want +got):\n%s", diff)
	}
}

func TestPermanentFailureIsNotRetried(t *testing.T) {
	m := NewMemory()
	m.Fail = func(o Op) error {
		if o.Kind == AddService {
			return syscall.EINVAL
		}
		return nil
	}
	r, fs := newTestReconciler(m)
	mustSet(t, r, vs(svc(web, "nosuchsched"), rs1))
	rep, err := r.Reconcile(bg)
	if !errors.Is(err, syscall.EINVAL) {
		t.Fatalf("err = %v, want EINVAL", err)
	}
	if len(fs.waits) != 0 {
		t.Errorf("waited %v before giving up on EINVAL", fs.waits)
	}
	// The destination is not attempted once its service could not be added.
	if len(rep.Failed) != 2 || m.Changes() != 1 {
		t.Errorf("%d failures, %d kernel changes; want 2 failures, 1 change", len(rep.Failed), m.Changes())
	}
}

// raceBackend changes the table behind the reconciler's back between its read and its ops.
type raceBackend struct {
	*Memory
	before func()
}

func (b raceBackend) Services() ([]VirtualServer, error) {
	out, err := b.Memory.Services()
	b.before()
	return out, err
}

func TestRacesAreAbsorbed(t *testing.T) {
	m := NewMemory()
	r, _ := newTestReconciler(raceBackend{m, func() {
		// Someone adds our service (with a different scheduler) right after our read.
		_ = m.AddService(svc(web, "wlc"))
		_ = m.AddDestination(web, dst("10.10.10.31:80", DR, 1))
	}})
	mustSet(t, r, vs(svc(web, "rr"), rs1))
	want := []string{"-E -t 10.10.10.22:80 -s rr", "-e -t 10.10.10.22:80 -r 10.10.10.31:80 -g -w 3"}
	if diff := cmp.Diff(want, mustReconcile(t, r)); diff != "" {
		t.Errorf("ops (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(lines("-A -t 10.10.10.22:80 -s rr", "-a -t 10.10.10.22:80 -r 10.10.10.31:80 -g -w 3"), tableOf(t, m)); diff != "" {
		t.Errorf("table (-want +got):\n%s", diff)
	}
}

// countingBackend counts table reads, to show that health changes do not re-read it.
type countingBackend struct {
	*Memory
	reads *int
}

func (b countingBackend) Services() ([]VirtualServer, error) {
	*b.reads++
	return b.Memory.Services()
}

func TestHealthSetters(t *testing.T) {
	m := NewMemory()
	reads := 0
	r, _ := newTestReconciler(countingBackend{m, &reads})
	sorry := dst("10.10.10.40:80", DR, 1)
	mustSet(t, r, VirtualServer{Service: svc(web, "wrr"), Destinations: []Destination{rs1, rs2}, Sorry: sorry})
	mustReconcile(t, r)
	reads = 0

	steps := []struct {
		name string
		do   func() (Report, error)
		want []string
	}{
		{"weight", func() (Report, error) { return r.SetWeight(bg, web, rs1.Addr, 7) }, []string{"-e -t 10.10.10.22:80 -r 10.10.10.31:80 -g -w 7"}},
		{"same weight again", func() (Report, error) { return r.SetWeight(bg, web, rs1.Addr, 7) }, nil},
		{"inhibit (weight 0)", func() (Report, error) { return r.SetWeight(bg, web, rs2.Addr, 0) }, []string{"-e -t 10.10.10.22:80 -r 10.10.10.32:80 -g -w 0"}},
		{"withdraw", func() (Report, error) { return r.Withdraw(bg, web, rs2.Addr) }, []string{"-d -t 10.10.10.22:80 -r 10.10.10.32:80"}},
		{"restore", func() (Report, error) { return r.Restore(bg, web, rs2.Addr) }, []string{"-a -t 10.10.10.22:80 -r 10.10.10.32:80 -g -w 1"}},
		{"quorum lost", func() (Report, error) { return r.SetQuorum(bg, web, false) }, []string{
			"-a -t 10.10.10.22:80 -r 10.10.10.40:80 -g -w 1",
			"-d -t 10.10.10.22:80 -r 10.10.10.31:80",
			"-d -t 10.10.10.22:80 -r 10.10.10.32:80",
		}},
		{"quorum back", func() (Report, error) { return r.SetQuorum(bg, web, true) }, []string{
			"-a -t 10.10.10.22:80 -r 10.10.10.31:80 -g -w 7",
			"-a -t 10.10.10.22:80 -r 10.10.10.32:80 -g -w 1",
			"-d -t 10.10.10.22:80 -r 10.10.10.40:80",
		}},
	}
	for _, s := range steps {
		rep, err := s.do()
		if err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		if diff := cmp.Diff(s.want, opStrings(rep.Applied)); diff != "" {
			t.Errorf("%s: ops (-want +got):\n%s", s.name, diff)
		}
	}
	if reads != 0 {
		t.Errorf("health changes read the table %d times, want 0", reads)
	}
	// The kernel holds what the reconciler believes: a full reconcile has nothing to do.
	if got := mustReconcile(t, r); got != nil {
		t.Errorf("reconcile after health changes: %q, want none", got)
	}

	// A reload keeps the override of a real server still configured.
	mustSet(t, r, VirtualServer{Service: svc(web, "wrr"), Destinations: []Destination{rs1, rs2}, Sorry: sorry})
	if got := mustReconcile(t, r); got != nil {
		t.Errorf("reconcile after an unchanged reload: %q, want none", got)
	}

	if _, err := r.SetWeight(bg, web, netip.MustParseAddrPort("10.9.9.9:80"), 1); !errors.Is(err, ErrUnknownDestination) {
		t.Errorf("SetWeight on an unknown server: %v, want ErrUnknownDestination", err)
	}
	if _, err := r.SetQuorum(bg, tcp("10.9.9.9:80"), false); !errors.Is(err, ErrUnknownService) {
		t.Errorf("SetQuorum on an unknown service: %v, want ErrUnknownService", err)
	}
}

func TestStop(t *testing.T) {
	for _, keep := range []bool{false, true} {
		m := NewMemory()
		foreign := vs(svc(tcp("192.0.2.1:25"), "rr"))
		seed(t, m, foreign)
		r, _ := newTestReconciler(m)
		mustSet(t, r, vs(svc(web, "rr"), rs1))
		mustReconcile(t, r)
		rep, err := r.Stop(bg, keep)
		if err != nil {
			t.Fatal(err)
		}
		want, table := []string{"-D -t 10.10.10.22:80"}, lines("-A -t 192.0.2.1:25 -s rr")
		if keep {
			want, table = nil, lines("-A -t 10.10.10.22:80 -s rr", "-A -t 192.0.2.1:25 -s rr", "-a -t 10.10.10.22:80 -r 10.10.10.31:80 -g -w 3")
		}
		if diff := cmp.Diff(want, opStrings(rep.Applied)); diff != "" {
			t.Errorf("keep=%v: ops (-want +got):\n%s", keep, diff)
		}
		if diff := cmp.Diff(table, tableOf(t, m)); diff != "" {
			t.Errorf("keep=%v: table (-want +got):\n%s", keep, diff)
		}
		if keep {
			// The next start adopts the kept table with zero operations.
			r2, _ := newTestReconciler(m)
			mustSet(t, r2, vs(svc(web, "rr"), rs1))
			if got := mustReconcile(t, r2); got != nil {
				t.Errorf("restart after keep: %q, want none", got)
			}
		}
	}
}

func TestTimeouts(t *testing.T) {
	m := NewMemory()
	r, _ := newTestReconciler(m)
	rep, err := r.SetTimeouts(bg, Timeouts{TCP: 7200 * time.Second, UDP: 60 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"--set 7200 0 60"}, opStrings(rep.Applied)); diff != "" {
		t.Errorf("ops (-want +got):\n%s", diff)
	}
	got, _ := m.Timeouts()
	if want := (Timeouts{TCP: 7200 * time.Second, TCPFin: 120 * time.Second, UDP: 60 * time.Second}); got != want {
		t.Errorf("timeouts = %+v, want %+v", got, want)
	}
	if rep, _ := r.SetTimeouts(bg, Timeouts{TCP: 7200 * time.Second}); len(rep.Applied) != 0 {
		t.Errorf("unchanged timeouts issued %q", opStrings(rep.Applied))
	}
	if _, err := r.SetTimeouts(bg, Timeouts{TCP: 1500 * time.Millisecond}); err == nil {
		t.Error("a fractional timeout was accepted")
	}
}

func TestSyncDaemonTransitions(t *testing.T) {
	m := NewMemory()
	r, _ := newTestReconciler(m)
	master := SyncDaemon{Role: SyncMaster, Interface: "eth0", SyncID: 51}
	backup := SyncDaemon{Role: SyncBackup, Interface: "eth0", SyncID: 51}
	steps := []struct {
		name string
		do   func() (Report, error)
		want []string
		run  []SyncDaemon
	}{
		{"start as backup", func() (Report, error) { return r.SetSyncDaemon(bg, backup) },
			[]string{"--start-daemon backup --mcast-interface eth0 --syncid 51"}, []SyncDaemon{backup}},
		{"again: nothing", func() (Report, error) { return r.SetSyncDaemon(bg, backup) }, nil, []SyncDaemon{backup}},
		{"become master", func() (Report, error) { return r.SetSyncDaemon(bg, master) },
			[]string{"--stop-daemon backup", "--start-daemon master --mcast-interface eth0 --syncid 51"}, []SyncDaemon{master}},
		{"new sync id restarts", func() (Report, error) {
			return r.SetSyncDaemon(bg, SyncDaemon{Role: SyncMaster, Interface: "eth0", SyncID: 52})
		},
			[]string{"--stop-daemon master", "--start-daemon master --mcast-interface eth0 --syncid 52"}, []SyncDaemon{{SyncMaster, "eth0", 52}}},
		{"stop", func() (Report, error) { return r.StopSyncDaemons(bg) }, []string{"--stop-daemon master"}, nil},
	}
	for _, s := range steps {
		rep, err := s.do()
		if err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		if diff := cmp.Diff(s.want, opStrings(rep.Applied)); diff != "" {
			t.Errorf("%s: ops (-want +got):\n%s", s.name, diff)
		}
		got, _ := m.SyncDaemons()
		if diff := cmp.Diff(s.run, got); diff != "" {
			t.Errorf("%s: running (-want +got):\n%s", s.name, diff)
		}
	}
	if _, err := r.SetSyncDaemon(bg, SyncDaemon{Role: SyncMaster}); err == nil {
		t.Error("a daemon without an interface was accepted")
	}
}
