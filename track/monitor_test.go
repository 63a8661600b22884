package track

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

var haproxy = Proc{Comm: "haproxy", Cmdline: []string{"/usr/sbin/haproxy", "-f", "/etc/haproxy.cfg"}}

func TestMatches(t *testing.T) {
	tests := []struct {
		name string
		spec ProcessSpec
		proc Proc
		want bool
	}{
		{name: "by name", spec: ProcessSpec{Process: "haproxy"}, proc: haproxy, want: true},
		{name: "name is exact, not a prefix", spec: ProcessSpec{Process: "hap"}, proc: haproxy, want: false},
		{name: "a path is not the name", spec: ProcessSpec{Process: "/usr/sbin/haproxy"}, proc: haproxy, want: false},
		{name: "full command: argv[0]", spec: ProcessSpec{Process: "/usr/sbin/haproxy", FullCommand: true}, proc: haproxy, want: true},
		{name: "full command, no cmdline (kernel thread)", spec: ProcessSpec{Process: "kthreadd", FullCommand: true}, proc: Proc{Comm: "kthreadd"}, want: false},
		{name: "exact params", spec: ProcessSpec{Process: "/usr/sbin/haproxy", FullCommand: true, ParamMatch: MatchExact, Params: []string{"-f", "/etc/haproxy.cfg"}}, proc: haproxy, want: true},
		{name: "exact params, one short", spec: ProcessSpec{Process: "/usr/sbin/haproxy", FullCommand: true, ParamMatch: MatchExact, Params: []string{"-f"}}, proc: haproxy, want: false},
		{name: "exact, none wanted, some given", spec: ProcessSpec{Process: "/usr/sbin/haproxy", FullCommand: true, ParamMatch: MatchExact}, proc: haproxy, want: false},
		{name: "partial: the first ones", spec: ProcessSpec{Process: "/usr/sbin/haproxy", FullCommand: true, ParamMatch: MatchPartial, Params: []string{"-f"}}, proc: haproxy, want: true},
		{name: "partial: a prefix of a param is not enough", spec: ProcessSpec{Process: "/usr/sbin/haproxy", FullCommand: true, ParamMatch: MatchPartial, Params: []string{"-f", "/etc/hap"}}, proc: haproxy, want: false},
		{name: "initial: the last may be a prefix", spec: ProcessSpec{Process: "/usr/sbin/haproxy", FullCommand: true, ParamMatch: MatchInitial, Params: []string{"-f", "/etc/hap"}}, proc: haproxy, want: true},
		{name: "initial: earlier ones are exact", spec: ProcessSpec{Process: "/usr/sbin/haproxy", FullCommand: true, ParamMatch: MatchInitial, Params: []string{"-", "/etc/hap"}}, proc: haproxy, want: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.spec.matches(tt.proc); got != tt.want {
				t.Errorf("matches = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestMonitorCountsForksAndExits(t *testing.T) {
	procs := &fakeProcs{}
	procs.set(100, haproxy)
	procs.set(200, Proc{Comm: "sshd"})
	m, log, _ := startMonitor(t, procs, ProcessSpec{Name: "hap2", Process: "haproxy", Quorum: 2}, ProcessSpec{Name: "hap1", Process: "haproxy", Quorum: 1})
	if diff := cmp.Diff([]string{"hap2 down", "hap1 up"}, log.take()); diff != "" {
		t.Errorf("first reports (-want +got):\n%s", diff)
	}
	m.Handle(Event{Kind: EventFork, PID: 101, ParentPID: 100})
	m.Handle(Event{Kind: EventFork, PID: 201, ParentPID: 200}) // not counted
	if diff := cmp.Diff([]string{"hap2 up"}, log.take()); diff != "" {
		t.Errorf("after a fork (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[string]ProcessState{"hap2": {2, true}, "hap1": {2, true}}, m.State()); diff != "" {
		t.Errorf("State (-want +got):\n%s", diff)
	}
	m.Handle(Event{Kind: EventExit, PID: 100})
	m.Handle(Event{Kind: EventExit, PID: 201})
	m.Handle(Event{Kind: EventExit, PID: 101})
	if diff := cmp.Diff([]string{"hap2 down", "hap1 down"}, log.take()); diff != "" {
		t.Errorf("after the exits (-want +got):\n%s", diff)
	}
}

func TestMonitorExecAndComm(t *testing.T) {
	procs := &fakeProcs{}
	procs.set(10, Proc{Comm: "bash", Cmdline: []string{"bash"}})
	m, log, _ := startMonitor(t, procs, ProcessSpec{Name: "hap", Process: "haproxy", Quorum: 1},
		ProcessSpec{Name: "hapcmd", Process: "/usr/sbin/haproxy", FullCommand: true, Quorum: 1})
	log.take()
	procs.set(10, haproxy)
	m.Handle(Event{Kind: EventExec, PID: 10})
	if diff := cmp.Diff([]string{"hap up", "hapcmd up"}, log.take()); diff != "" {
		t.Errorf("after exec (-want +got):\n%s", diff)
	}
	// A new name loses the name match only; the command line is unchanged.
	m.Handle(Event{Kind: EventComm, PID: 10, Comm: "haproxy-worker"})
	if diff := cmp.Diff([]string{"hap down"}, log.take()); diff != "" {
		t.Errorf("after a name change (-want +got):\n%s", diff)
	}
	m.Handle(Event{Kind: EventComm, PID: 10, Comm: "haproxy"})
	m.Handle(Event{Kind: EventExit, PID: 10})
	if diff := cmp.Diff([]string{"hap up", "hap down", "hapcmd down"}, log.take()); diff != "" {
		t.Errorf("after the name back and exit (-want +got):\n%s", diff)
	}
}

func TestMonitorQuorumMax(t *testing.T) {
	procs := &fakeProcs{}
	m, log, _ := startMonitor(t, procs, ProcessSpec{Name: "none", Process: "telnetd", Quorum: 0, QuorumMax: 0},
		ProcessSpec{Name: "one", Process: "telnetd", Quorum: 1, QuorumMax: 1})
	if diff := cmp.Diff([]string{"none up", "one down"}, log.take()); diff != "" {
		t.Errorf("first (-want +got):\n%s", diff)
	}
	procs.set(5, Proc{Comm: "telnetd"})
	m.Handle(Event{Kind: EventExec, PID: 5})
	m.Handle(Event{Kind: EventFork, PID: 6, ParentPID: 5})
	if diff := cmp.Diff([]string{"none down", "one up", "one down"}, log.take()); diff != "" {
		t.Errorf("one then two running (-want +got):\n%s", diff)
	}
}

func TestMonitorDelays(t *testing.T) {
	procs := &fakeProcs{}
	procs.set(1, Proc{Comm: "nginx"})
	m, log, timers := startMonitor(t, procs, ProcessSpec{Name: "ng", Process: "nginx", Quorum: 2,
		ForkDelay: 2 * time.Second, TerminateDelay: 3 * time.Second})
	log.take()

	// A fork reaching the quorum waits for fork_delay...
	m.Handle(Event{Kind: EventFork, PID: 2, ParentPID: 1})
	if got := log.take(); len(got) != 0 {
		t.Errorf("reported %v before fork_delay", got)
	}
	if diff := cmp.Diff([]time.Duration{2 * time.Second}, timers.durations()); diff != "" {
		t.Errorf("timers (-want +got):\n%s", diff)
	}
	// ...and a child exiting meanwhile cancels it: no bounce.
	m.Handle(Event{Kind: EventExit, PID: 2})
	if got, pending := log.take(), timers.durations(); len(got) != 0 || len(pending) != 0 {
		t.Errorf("a fork then exit within fork_delay: reports %v, pending %v; want none", got, pending)
	}
	m.Handle(Event{Kind: EventFork, PID: 3, ParentPID: 1})
	timers.fire()
	if diff := cmp.Diff([]string{"ng up"}, log.take()); diff != "" {
		t.Errorf("after fork_delay (-want +got):\n%s", diff)
	}

	// An exit losing the quorum waits for terminate_delay; a re-fork meanwhile keeps it up.
	m.Handle(Event{Kind: EventExit, PID: 3})
	if diff := cmp.Diff([]time.Duration{3 * time.Second}, timers.durations()); diff != "" {
		t.Errorf("timers (-want +got):\n%s", diff)
	}
	m.Handle(Event{Kind: EventFork, PID: 4, ParentPID: 1})
	if got, pending := log.take(), timers.durations(); len(got) != 0 || len(pending) != 0 {
		t.Errorf("exit then re-fork within terminate_delay: reports %v, pending %v; want none", got, pending)
	}
	m.Handle(Event{Kind: EventExit, PID: 4})
	timers.fire()
	if diff := cmp.Diff([]string{"ng down"}, log.take()); diff != "" {
		t.Errorf("after terminate_delay (-want +got):\n%s", diff)
	}
}

func TestMonitorRescansWhenEventsAreLost(t *testing.T) {
	procs := &fakeProcs{}
	ev := newFakeEvents()
	log := &quorumLog{}
	m := NewMonitor(MonitorConfig{Specs: []ProcessSpec{{Name: "sleep", Process: "sleep", Quorum: 1, QuorumMax: 9}},
		Events: ev, Procs: procs, Report: log.report})
	if err := m.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(m.Stop)
	procs.set(42, Proc{Comm: "sleep"})
	ev.ch <- fakeEvent{err: ErrEventsLost}
	waitReports(t, log, []string{"sleep down", "sleep up"})
}

func TestMonitorScansWithoutEvents(t *testing.T) {
	procs := &fakeProcs{}
	procs.set(7, Proc{Comm: "sleep"})
	log := &quorumLog{}
	m := NewMonitor(MonitorConfig{Specs: []ProcessSpec{{Name: "sleep", Process: "sleep", Quorum: 1, QuorumMax: 9}},
		Procs: procs, ScanInterval: 10 * time.Millisecond, Report: log.report})
	if err := m.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(m.Stop)
	procs.remove(7)
	waitReports(t, log, []string{"sleep up", "sleep down"})
}

func waitReports(t *testing.T, log *quorumLog, want []string) {
	t.Helper()
	var got []string
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		got = append(got, log.take()...)
		if cmp.Equal(want, got) {
			return
		}
	}
	t.Errorf("reports (-want +got):\n%s", cmp.Diff(want, got))
}
