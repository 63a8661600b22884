package vrrp

import (
	"net/netip"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

var (
	local  = netip.MustParseAddr("10.10.10.30")
	higher = netip.MustParseAddr("10.10.10.40")
	lower  = netip.MustParseAddr("10.10.10.20")
	t0     = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
)

// step is one event at a time offset from t0 (the fake clock is just this offset).
type step struct {
	at time.Duration
	ev Event
}

func adv(version uint8, prio uint8, interval time.Duration, src netip.Addr) AdvertReceived {
	return AdvertReceived{Advert: Advertisement{Version: version, Type: TypeAdvertisement, VRID: 51,
		Priority: prio, Interval: interval, Addrs: []netip.Addr{vip22}}, Src: src}
}

func v3cfg(prio uint8) MachineConfig {
	return MachineConfig{Version: 3, Priority: prio, Interval: time.Second, LocalAddr: local}
}

func TestTimers(t *testing.T) {
	tests := []struct {
		name       string
		version    uint8
		prio       uint8
		interval   time.Duration
		skew, down time.Duration
	}{
		{"v3 100 at 1s", 3, 100, time.Second, 609375 * time.Microsecond, 3609375 * time.Microsecond},
		{"v3 100 at 100ms", 3, 100, 100 * time.Millisecond, 60937500, 360937500},
		{"v3 255 at 1s", 3, 255, time.Second, 3906250, 3003906250},
		{"v3 1 at 50ms", 3, 1, 50 * time.Millisecond, 49804687, 199804687},
		{"v2 100 at 3s skew in seconds", 2, 100, 3 * time.Second, 609375 * time.Microsecond, 9609375 * time.Microsecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := SkewTime(tt.version, tt.prio, tt.interval); got != tt.skew {
				t.Errorf("SkewTime = %v, want %v", got, tt.skew)
			}
			if got := MasterDownInterval(tt.version, tt.prio, tt.interval); got != tt.down {
				t.Errorf("MasterDownInterval = %v, want %v", got, tt.down)
			}
		})
	}
}

func TestEffectivePriority(t *testing.T) {
	tests := []struct {
		base  uint8
		delta int
		want  uint8
	}{
		{100, 0, 100}, {100, 50, 150}, {100, 200, 254}, {100, -100, 1}, {100, -300, 1},
		{255, -50, 255}, {254, 10, 254},
	}
	for _, tt := range tests {
		if got := EffectivePriority(tt.base, tt.delta); got != tt.want {
			t.Errorf("EffectivePriority(%d, %d) = %d, want %d", tt.base, tt.delta, got, tt.want)
		}
	}
}

func TestMachine(t *testing.T) {
	const sec = time.Second
	down100 := MasterDownInterval(3, 100, sec)
	backup := []step{{0, Startup{}}}
	master := []step{{0, Startup{}}, {down100, MasterDownTimerFired{}}}
	tests := []struct {
		name      string
		cfg       MachineConfig
		before    []step // brings the machine to the state under test
		step      step
		want      []Action
		wantState State
	}{
		{
			name: "startup goes backup with master down interval",
			cfg:  v3cfg(100), step: step{0, Startup{}},
			want:      []Action{Transition{StateInit, StateBackup, "startup"}, Notify{StateBackup, 100}, ArmMasterDownTimer{down100}},
			wantState: StateBackup,
		},
		{
			name: "state MASTER waits one interval",
			cfg:  func() MachineConfig { c := v3cfg(100); c.InitialMaster = true; return c }(), step: step{0, Startup{}},
			want:      []Action{Transition{StateInit, StateBackup, "startup"}, Notify{StateBackup, 100}, ArmMasterDownTimer{sec + 3906250}},
			wantState: StateBackup,
		},
		{
			name: "address owner goes straight to master, advert before VIPs before GARP",
			cfg:  v3cfg(255), step: step{0, Startup{}},
			want: []Action{Transition{StateInit, StateMaster, "address owner (priority 255)"}, SendAdvert{255}, ClaimVIPs{},
				StartAnnouncing{}, ArmAdvertTimer{sec}, Notify{StateMaster, 255}},
			wantState: StateMaster,
		},
		{
			name: "startup with link down goes fault",
			cfg:  v3cfg(100), before: []step{{0, LinkChanged{"eth0", false}}}, step: step{0, Startup{}},
			want:      []Action{StopTimers{}, Transition{StateInit, StateFault, "startup with fault: link eth0"}, Notify{StateFault, 100}},
			wantState: StateFault,
		},
		{
			name: "down timer expiry takes over",
			cfg:  v3cfg(100), before: backup, step: step{down100, MasterDownTimerFired{}},
			want: []Action{Transition{StateBackup, StateMaster, "master down timer expired"}, SendAdvert{100}, ClaimVIPs{},
				StartAnnouncing{}, ArmAdvertTimer{sec}, Notify{StateMaster, 100}},
			wantState: StateMaster,
		},
		{
			name: "backup accepts higher advert and restarts down timer",
			cfg:  v3cfg(100), before: backup, step: step{sec, adv(3, 150, sec, higher)},
			want:      []Action{ArmMasterDownTimer{down100}},
			wantState: StateBackup,
		},
		{
			name: "v3 backup adopts the master's interval",
			cfg:  v3cfg(100), before: backup, step: step{sec, adv(3, 150, 100*time.Millisecond, higher)},
			want:      []Action{ArmMasterDownTimer{MasterDownInterval(3, 100, 100*time.Millisecond)}},
			wantState: StateBackup,
		},
		{
			name:   "v2 backup keeps its own interval",
			cfg:    MachineConfig{Version: 2, Priority: 100, Interval: 2 * sec, LocalAddr: local},
			before: backup, step: step{sec, adv(2, 150, 2*sec, higher)},
			want:      []Action{ArmMasterDownTimer{6*sec + 609375*time.Microsecond}},
			wantState: StateBackup,
		},
		{
			name: "backup accepts equal priority whatever the address",
			cfg:  v3cfg(100), before: backup, step: step{sec, adv(3, 100, sec, lower)},
			want:      []Action{ArmMasterDownTimer{down100}},
			wantState: StateBackup,
		},
		{
			name: "preempt: lower-priority advert ignored, down timer keeps running",
			cfg:  v3cfg(100), before: backup, step: step{sec, adv(3, 50, sec, higher)},
			want:      nil,
			wantState: StateBackup,
		},
		{
			name:   "nopreempt: lower-priority advert accepted",
			cfg:    func() MachineConfig { c := v3cfg(100); c.NoPreempt = true; return c }(),
			before: backup, step: step{sec, adv(3, 50, sec, higher)},
			want:      []Action{ArmMasterDownTimer{down100}},
			wantState: StateBackup,
		},
		{
			name:   "preempt_delay: lower-priority advert accepted during the delay after startup",
			cfg:    func() MachineConfig { c := v3cfg(100); c.PreemptDelay = 10 * sec; return c }(),
			before: backup, step: step{9 * sec, adv(3, 50, sec, higher)},
			want:      []Action{ArmMasterDownTimer{down100}},
			wantState: StateBackup,
		},
		{
			name:   "preempt_delay: ignored once the delay is over",
			cfg:    func() MachineConfig { c := v3cfg(100); c.PreemptDelay = 10 * sec; return c }(),
			before: []step{{0, Startup{}}, {9 * sec, adv(3, 50, sec, higher)}},
			step:   step{10 * sec, adv(3, 50, sec, higher)},
			want:   nil, wantState: StateBackup,
		},
		{
			name:   "preempt_delay: a higher master resets it, the next lower master restarts it",
			cfg:    func() MachineConfig { c := v3cfg(100); c.PreemptDelay = 10 * sec; return c }(),
			before: []step{{0, Startup{}}, {20 * sec, adv(3, 150, sec, higher)}, {21 * sec, adv(3, 50, sec, lower)}},
			step:   step{30 * sec, adv(3, 50, sec, lower)},
			want:   []Action{ArmMasterDownTimer{down100}}, wantState: StateBackup,
		},
		{
			name: "priority 0 advert: take over after Skew_Time",
			cfg:  v3cfg(100), before: backup, step: step{sec, adv(3, 0, sec, higher)},
			want:      []Action{ArmMasterDownTimer{609375 * time.Microsecond}},
			wantState: StateBackup,
		},
		{
			name: "priority 0 skew uses the adopted interval",
			cfg:  v3cfg(100), before: []step{{0, Startup{}}, {sec, adv(3, 150, 100*time.Millisecond, higher)}},
			step: step{2 * sec, adv(3, 0, 100*time.Millisecond, higher)},
			want: []Action{ArmMasterDownTimer{60937500}}, wantState: StateBackup,
		},
		{
			name:   "takeover after priority 0 says why",
			cfg:    v3cfg(100),
			before: []step{{0, Startup{}}, {sec, adv(3, 0, sec, higher)}},
			step:   step{sec + 609375*time.Microsecond, MasterDownTimerFired{}},
			want: []Action{Transition{StateBackup, StateMaster, "master sent priority 0"}, SendAdvert{100}, ClaimVIPs{},
				StartAnnouncing{}, ArmAdvertTimer{sec}, Notify{StateMaster, 100}},
			wantState: StateMaster,
		},
		{
			name: "master sends adverts and verifies VIPs every interval",
			cfg:  v3cfg(100), before: master, step: step{down100 + sec, AdvertTimerFired{}},
			want:      []Action{SendAdvert{100}, ArmAdvertTimer{sec}, VerifyVIPs{}},
			wantState: StateMaster,
		},
		{
			name: "master receiving priority 0 advertises at once",
			cfg:  v3cfg(100), before: master, step: step{5 * sec, adv(3, 0, sec, higher)},
			want:      []Action{SendAdvert{100}, ArmAdvertTimer{sec}},
			wantState: StateMaster,
		},
		{
			name: "master answers a lower-priority advert at once and re-announces",
			cfg:  v3cfg(100), before: master, step: step{5 * sec, adv(3, 50, sec, higher)},
			want:      []Action{SendAdvert{100}, ArmAdvertTimer{sec}, Reannounce{}},
			wantState: StateMaster,
		},
		{
			name: "master answers an equal advert from a lower address",
			cfg:  v3cfg(100), before: master, step: step{5 * sec, adv(3, 100, sec, lower)},
			want:      []Action{SendAdvert{100}, ArmAdvertTimer{sec}, Reannounce{}},
			wantState: StateMaster,
		},
		{
			name: "master yields to a higher priority and releases VIPs",
			cfg:  v3cfg(100), before: master, step: step{5 * sec, adv(3, 150, 200*time.Millisecond, lower)},
			want: []Action{StopAnnouncing{}, ReleaseVIPs{}, Transition{StateMaster, StateBackup, "higher priority 150 advert from 10.10.10.20"},
				Notify{StateBackup, 100}, ArmMasterDownTimer{MasterDownInterval(3, 100, 200*time.Millisecond)}},
			wantState: StateBackup,
		},
		{
			name: "master yields to equal priority from a higher address",
			cfg:  v3cfg(100), before: master, step: step{5 * sec, adv(3, 100, sec, higher)},
			want: []Action{StopAnnouncing{}, ReleaseVIPs{}, Transition{StateMaster, StateBackup, "equal priority advert from higher address 10.10.10.40"},
				Notify{StateBackup, 100}, ArmMasterDownTimer{down100}},
			wantState: StateBackup,
		},
		{
			name: "master ignores its own looped-back advert",
			cfg:  v3cfg(100), before: master, step: step{5 * sec, adv(3, 100, sec, local)},
			want: nil, wantState: StateMaster,
		},
		{
			name: "master priority change is advertised at once",
			cfg:  v3cfg(100), before: master, step: step{5 * sec, PriorityChanged{80}},
			want: []Action{SendAdvert{80}, ArmAdvertTimer{sec}}, wantState: StateMaster,
		},
		{
			name: "backup priority rise lets it preempt the next advert",
			cfg:  v3cfg(100), before: []step{{0, Startup{}}, {sec, adv(3, 120, sec, higher)}, {2 * sec, PriorityChanged{130}}},
			step: step{2 * sec, adv(3, 120, sec, higher)},
			want: nil, wantState: StateBackup,
		},
		{
			name: "owner ignores priority changes",
			cfg:  v3cfg(255), before: []step{{0, Startup{}}}, step: step{sec, PriorityChanged{200}},
			want: nil, wantState: StateMaster,
		},
		{
			name: "master link down: priority 0, release, fault",
			cfg:  v3cfg(100), before: master, step: step{5 * sec, LinkChanged{"eth0", false}},
			want: []Action{SendAdvert{0}, StopAnnouncing{}, ReleaseVIPs{}, StopTimers{},
				Transition{StateMaster, StateFault, "link eth0"}, Notify{StateFault, 100}},
			wantState: StateFault,
		},
		{
			name: "backup fault",
			cfg:  v3cfg(100), before: backup, step: step{sec, Fault{"script chk_nginx"}},
			want:      []Action{StopTimers{}, Transition{StateBackup, StateFault, "script chk_nginx"}, Notify{StateFault, 100}},
			wantState: StateFault,
		},
		{
			name: "fault stays while another source is down",
			cfg:  v3cfg(100), before: []step{{0, Startup{}}, {sec, Fault{"a"}}, {sec, Fault{"b"}}},
			step: step{2 * sec, FaultCleared{"a"}},
			want: nil, wantState: StateFault,
		},
		{
			name: "last fault cleared goes backup with a fresh down timer",
			cfg:  v3cfg(100), before: []step{{0, Startup{}}, {sec, adv(3, 150, 100*time.Millisecond, higher)}, {sec, LinkChanged{"eth0", false}}},
			step:      step{2 * sec, LinkChanged{"eth0", true}},
			want:      []Action{Transition{StateFault, StateBackup, "fault cleared: link eth0"}, Notify{StateBackup, 100}, ArmMasterDownTimer{down100}},
			wantState: StateBackup,
		},
		{
			name: "owner leaving fault goes master",
			cfg:  v3cfg(255), before: []step{{0, Startup{}}, {sec, Fault{"x"}}},
			step: step{2 * sec, FaultCleared{"x"}},
			want: []Action{Transition{StateFault, StateMaster, "fault cleared: x"}, SendAdvert{255}, ClaimVIPs{},
				StartAnnouncing{}, ArmAdvertTimer{sec}, Notify{StateMaster, 255}},
			wantState: StateMaster,
		},
		{
			name: "shutdown as master: priority 0 then release",
			cfg:  v3cfg(100), before: master, step: step{5 * sec, Shutdown{}},
			want: []Action{SendAdvert{0}, StopAnnouncing{}, ReleaseVIPs{}, StopTimers{},
				Transition{StateMaster, StateStop, "shutdown"}, Notify{StateStop, 100}},
			wantState: StateStop,
		},
		{
			name: "shutdown as backup",
			cfg:  v3cfg(100), before: backup, step: step{sec, Shutdown{}},
			want:      []Action{StopTimers{}, Transition{StateBackup, StateStop, "shutdown"}, Notify{StateStop, 100}},
			wantState: StateStop,
		},
		{
			name: "stopped machine ignores events",
			cfg:  v3cfg(100), before: []step{{0, Startup{}}, {0, Shutdown{}}}, step: step{sec, MasterDownTimerFired{}},
			want: nil, wantState: StateStop,
		},
		{
			name: "stale advert timer in backup is ignored",
			cfg:  v3cfg(100), before: backup, step: step{sec, AdvertTimerFired{}},
			want: nil, wantState: StateBackup,
		},
		{
			name: "stale down timer in master is ignored",
			cfg:  v3cfg(100), before: master, step: step{5 * sec, MasterDownTimerFired{}},
			want: nil, wantState: StateMaster,
		},
		{
			name:   "sync group member asks before taking over",
			cfg:    func() MachineConfig { c := v3cfg(100); c.SyncGroup = true; return c }(),
			before: backup, step: step{down100, MasterDownTimerFired{}},
			want: []Action{WantMaster{true}, ArmMasterDownTimer{down100}}, wantState: StateBackup,
		},
		{
			name:   "sync group member asks again each time its timer expires",
			cfg:    func() MachineConfig { c := v3cfg(100); c.SyncGroup = true; return c }(),
			before: []step{{0, Startup{}}, {down100, MasterDownTimerFired{}}}, step: step{2 * down100, MasterDownTimerFired{}},
			want: []Action{WantMaster{true}, ArmMasterDownTimer{down100}}, wantState: StateBackup,
		},
		{
			name:   "sync group member takes over when the group is ready",
			cfg:    func() MachineConfig { c := v3cfg(100); c.SyncGroup = true; return c }(),
			before: []step{{0, Startup{}}, {down100, MasterDownTimerFired{}}}, step: step{down100, GroupMaster{}},
			want: []Action{Transition{StateBackup, StateMaster, "sync group ready"}, SendAdvert{100}, ClaimVIPs{},
				StartAnnouncing{}, ArmAdvertTimer{sec}, Notify{StateMaster, 100}, WantMaster{false}},
			wantState: StateMaster,
		},
		{
			name:   "sync group member withdraws when a master appears",
			cfg:    func() MachineConfig { c := v3cfg(100); c.SyncGroup = true; return c }(),
			before: []step{{0, Startup{}}, {down100, MasterDownTimerFired{}}}, step: step{down100 + sec, adv(3, 150, sec, higher)},
			want: []Action{ArmMasterDownTimer{down100}, WantMaster{false}}, wantState: StateBackup,
		},
		{
			name: "group master without asking is ignored",
			cfg:  v3cfg(100), before: backup, step: step{sec, GroupMaster{}},
			want: nil, wantState: StateBackup,
		},
		{
			name: "force backup from master",
			cfg:  v3cfg(100), before: master, step: step{5 * sec, ForceBackup{Reason: "sync group VG_1: VI_2 left MASTER"}},
			want: []Action{StopAnnouncing{}, ReleaseVIPs{}, Transition{StateMaster, StateBackup, "sync group VG_1: VI_2 left MASTER"},
				Notify{StateBackup, 100}, ArmMasterDownTimer{down100}},
			wantState: StateBackup,
		},
		{
			name: "force backup with a hold priority arms that priority's down timer, no advert",
			cfg:  v3cfg(100), before: master, step: step{5 * sec, ForceBackup{Reason: "failover", Priority: HoldPriority}},
			want: []Action{StopAnnouncing{}, ReleaseVIPs{}, Transition{StateMaster, StateBackup, "failover"},
				Notify{StateBackup, HoldPriority}, ArmMasterDownTimer{MasterDownInterval(3, HoldPriority, sec)}},
			wantState: StateBackup,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := NewMachine(tt.cfg)
			for _, s := range tt.before {
				m.Handle(t0.Add(s.at), s.ev)
			}
			got := m.Handle(t0.Add(tt.step.at), tt.step.ev)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("actions (-want +got):\n%s", diff)
			}
			if m.State() != tt.wantState {
				t.Errorf("state %v, want %v", m.State(), tt.wantState)
			}
		})
	}
}

func TestMachineStatus(t *testing.T) {
	m := NewMachine(v3cfg(100))
	m.Handle(t0, Startup{})
	m.Handle(t0.Add(time.Second), adv(3, 150, 100*time.Millisecond, higher))
	if m.MasterAddr() != higher || m.MasterInterval() != 100*time.Millisecond {
		t.Errorf("master %v interval %v, want %v 100ms", m.MasterAddr(), m.MasterInterval(), higher)
	}
	m.Handle(t0.Add(2*time.Second), MasterDownTimerFired{})
	if m.MasterAddr() != local || m.MasterInterval() != time.Second {
		t.Errorf("as master: master %v interval %v, want %v 1s", m.MasterAddr(), m.MasterInterval(), local)
	}
	for _, s := range []State{StateInit, StateBackup, StateMaster, StateFault, StateStop, State(9)} {
		if s.String() == "" {
			t.Errorf("state %d has no name", s)
		}
	}
}

// TestPreemptedMaster: a takeover from a lower-priority master whose adverts still came
// names it (it is alive, a BACKUP now); a takeover after a silence, a priority-0 advert or
// from a higher-priority master that went quiet names nobody.
func TestPreemptedMaster(t *testing.T) {
	tests := []struct {
		name  string
		prio  uint8
		steps []step
		want  netip.Addr
	}{
		{"preempts a live lower-priority master", 150, []step{
			{0, Startup{}},
			{time.Second, adv(3, 100, time.Second, lower)},
			{2 * time.Second, adv(3, 100, time.Second, lower)},
			{4 * time.Second, MasterDownTimerFired{}},
		}, lower},
		{"the lower-priority master went silent", 150, []step{
			{0, Startup{}},
			{time.Second, adv(3, 100, time.Second, lower)},
			{5 * time.Second, MasterDownTimerFired{}},
		}, netip.Addr{}},
		{"a higher-priority master went silent", 100, []step{
			{0, Startup{}},
			{time.Second, adv(3, 200, time.Second, higher)},
			{5 * time.Second, MasterDownTimerFired{}},
		}, netip.Addr{}},
		{"the master sent priority 0", 100, []step{
			{0, Startup{}},
			{time.Second, adv(3, 200, time.Second, higher)},
			{2 * time.Second, adv(3, 0, time.Second, higher)},
			{2*time.Second + 700*time.Millisecond, MasterDownTimerFired{}},
		}, netip.Addr{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := NewMachine(v3cfg(tt.prio))
			for _, s := range tt.steps {
				m.Handle(t0.Add(s.at), s.ev)
			}
			if m.State() != StateMaster {
				t.Fatalf("state %v, want MASTER", m.State())
			}
			if got := m.Preempted(); got != tt.want {
				t.Errorf("Preempted() = %v, want %v", got, tt.want)
			}
		})
	}
}
