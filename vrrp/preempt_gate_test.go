package vrrp

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestPreemptHold: a held backup stays BACKUP under a live lower-priority master, still takes
// over from a silent one, and preempts once released.
func TestPreemptHold(t *testing.T) {
	const sec = time.Second
	down150 := MasterDownInterval(3, 150, sec)
	low := adv(3, 100, sec, lower)
	held := []step{{0, Startup{}}, {0, PreemptHold{Hold: true}}}
	initialMaster := v3cfg(150)
	initialMaster.InitialMaster = true
	tests := []struct {
		name      string
		cfg       MachineConfig
		before    []step
		step      step
		want      []Action
		wantState State
	}{
		{
			name: "unheld backup ignores a lower-priority master's advert (preempts)",
			cfg:  v3cfg(150), before: []step{{0, Startup{}}},
			step: step{sec, low}, wantState: StateBackup,
		},
		{
			name: "held backup accepts a lower-priority master's advert",
			cfg:  v3cfg(150), before: held,
			step: step{sec, low}, want: []Action{ArmMasterDownTimer{down150}}, wantState: StateBackup,
		},
		{
			name: "held backup keeps accepting adverts",
			cfg:  v3cfg(150), before: append(held, step{sec, low}, step{2 * sec, low}),
			step: step{3 * sec, low}, want: []Action{ArmMasterDownTimer{down150}}, wantState: StateBackup,
		},
		{
			name: "held backup still takes over from a silent master",
			cfg:  v3cfg(150), before: append(held, step{sec, low}),
			step: step{sec + down150, MasterDownTimerFired{}},
			want: []Action{
				Transition{StateBackup, StateMaster, "master down timer expired"},
				SendAdvert{150}, ClaimVIPs{}, StartAnnouncing{}, ArmAdvertTimer{sec}, Notify{StateMaster, 150},
			},
			wantState: StateMaster,
		},
		{
			name: "released backup ignores the next lower-priority advert (preempts)",
			cfg:  v3cfg(150), before: append(held, step{sec, low}, step{2 * sec, PreemptHold{Hold: false}}),
			step: step{2 * sec, low}, wantState: StateBackup,
		},
		{
			name: "hold before any master was heard waits the full down interval, not state MASTER's one interval",
			cfg:  initialMaster, before: []step{{0, Startup{}}},
			step: step{0, PreemptHold{Hold: true}}, want: []Action{ArmMasterDownTimer{down150}}, wantState: StateBackup,
		},
		{
			name: "held before startup, state MASTER waits the full down interval",
			cfg:  initialMaster, before: []step{{0, PreemptHold{Hold: true}}},
			step:      step{0, Startup{}},
			want:      []Action{Transition{StateInit, StateBackup, "startup"}, Notify{StateBackup, 150}, ArmMasterDownTimer{down150}},
			wantState: StateBackup,
		},
		{
			// The hold reaches a just-started instance after the live master's first advert:
			// that advert was ignored (to preempt), so the one-interval startup timer ran on.
			name: "hold after only a lower-priority master was heard waits the full down interval",
			cfg:  initialMaster, before: []step{{0, Startup{}}, {sec / 20, low}},
			step: step{sec / 10, PreemptHold{Hold: true}}, want: []Action{ArmMasterDownTimer{down150}}, wantState: StateBackup,
		},
		{
			name: "hold after a master was heard changes no state and arms nothing",
			cfg:  initialMaster, before: []step{{0, Startup{}}, {sec / 20, adv(3, 200, sec, higher)}},
			step: step{sec / 10, PreemptHold{Hold: true}}, wantState: StateBackup,
		},
		{
			name: "release arms nothing",
			cfg:  initialMaster, before: held,
			step: step{sec / 10, PreemptHold{Hold: false}}, wantState: StateBackup,
		},
		{
			name: "held backup follows a higher-priority master as always",
			cfg:  v3cfg(150), before: held,
			step: step{sec, adv(3, 200, sec, higher)}, want: []Action{ArmMasterDownTimer{down150}}, wantState: StateBackup,
		},
		{
			name: "hold does not make a master step down",
			cfg:  v3cfg(150), before: []step{{0, Startup{}}, {down150, MasterDownTimerFired{}}},
			step: step{down150, PreemptHold{Hold: true}}, wantState: StateMaster,
		},
		{
			name:   "held backup stays under a lower master with preempt_delay passed",
			cfg:    func() MachineConfig { c := v3cfg(150); c.PreemptDelay = sec; return c }(),
			before: append(held, step{2 * sec, low}),
			step:   step{5 * sec, low}, want: []Action{ArmMasterDownTimer{down150}}, wantState: StateBackup,
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
