package vrrp

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestMachineReplyLimit: a MASTER answers the first lower-priority (or priority-0) advert
// at once, as keepalived does, and then at most once per advert interval, so that a flood
// of forged adverts is not amplified into a flood of adverts and GARP bursts.
func TestMachineReplyLimit(t *testing.T) {
	const sec = time.Second
	down100 := MasterDownInterval(3, 100, sec)
	at := func(d time.Duration) time.Duration { return down100 + d } // offsets from becoming MASTER
	master := []step{{0, Startup{}}, {down100, MasterDownTimerFired{}}}
	with := func(s ...step) []step { return append(append([]step(nil), master...), s...) }
	answer := []Action{SendAdvert{100}, ArmAdvertTimer{sec}, Reannounce{}}
	tests := []struct {
		name      string
		cfg       MachineConfig
		before    []step
		step      step
		want      []Action
		wantState State
	}{
		{
			name: "first lower-priority advert answered at once",
			cfg:  v3cfg(100), before: master, step: step{at(100 * time.Millisecond), adv(3, 50, sec, lower)},
			want: answer, wantState: StateMaster,
		},
		{
			name:   "a second one within the interval is not answered",
			cfg:    v3cfg(100),
			before: with(step{at(100 * time.Millisecond), adv(3, 50, sec, lower)}),
			step:   step{at(100*time.Millisecond + sec - 1), adv(3, 50, sec, lower)},
			want:   []Action{ReplyLimited{}}, wantState: StateMaster,
		},
		{
			name:   "from another source within the interval: not answered either",
			cfg:    v3cfg(100),
			before: with(step{at(100 * time.Millisecond), adv(3, 50, sec, lower)}),
			step:   step{at(500 * time.Millisecond), adv(3, 99, sec, higher)},
			want:   []Action{ReplyLimited{}}, wantState: StateMaster,
		},
		{
			name:   "answered again one interval after the last answer",
			cfg:    v3cfg(100),
			before: with(step{at(100 * time.Millisecond), adv(3, 50, sec, lower)}, step{at(600 * time.Millisecond), adv(3, 50, sec, lower)}),
			step:   step{at(100*time.Millisecond + sec), adv(3, 50, sec, lower)},
			want:   answer, wantState: StateMaster,
		},
		{
			name:   "the interval is our advert_int",
			cfg:    func() MachineConfig { c := v3cfg(100); c.Interval = 100 * time.Millisecond; return c }(),
			before: []step{{0, Startup{}}, {sec, MasterDownTimerFired{}}, {2 * sec, adv(3, 50, sec, lower)}},
			step:   step{2*sec + 100*time.Millisecond, adv(3, 50, sec, lower)},
			want:   []Action{SendAdvert{100}, ArmAdvertTimer{100 * time.Millisecond}, Reannounce{}}, wantState: StateMaster,
		},
		{
			name:   "a clock that went back does not silence the answers",
			cfg:    v3cfg(100),
			before: with(step{at(5 * sec), adv(3, 50, sec, lower)}),
			step:   step{at(2 * sec), adv(3, 50, sec, lower)},
			want:   answer, wantState: StateMaster,
		},
		{
			name: "a new mastership answers the first at once",
			cfg:  v3cfg(100),
			before: with(step{at(100 * time.Millisecond), adv(3, 50, sec, lower)},
				step{at(200 * time.Millisecond), adv(3, 150, sec, higher)},
				step{at(300 * time.Millisecond), MasterDownTimerFired{}}),
			step: step{at(400 * time.Millisecond), adv(3, 50, sec, lower)},
			want: answer, wantState: StateMaster,
		},
		{
			name:   "priority 0 within the interval of its last answer is not answered",
			cfg:    v3cfg(100),
			before: with(step{at(100 * time.Millisecond), adv(3, 0, sec, higher)}),
			step:   step{at(900 * time.Millisecond), adv(3, 0, sec, higher)},
			want:   []Action{ReplyLimited{}}, wantState: StateMaster,
		},
		{
			name:   "priority 0 has its own allowance: a lower-priority answer does not use it",
			cfg:    v3cfg(100),
			before: with(step{at(100 * time.Millisecond), adv(3, 50, sec, lower)}),
			step:   step{at(200 * time.Millisecond), adv(3, 0, sec, higher)},
			want:   []Action{SendAdvert{100}, ArmAdvertTimer{sec}}, wantState: StateMaster,
		},
		{
			name:   "a higher priority is obeyed however many were answered",
			cfg:    v3cfg(100),
			before: with(step{at(100 * time.Millisecond), adv(3, 50, sec, lower)}, step{at(200 * time.Millisecond), adv(3, 50, sec, lower)}),
			step:   step{at(300 * time.Millisecond), adv(3, 150, sec, higher)},
			want: []Action{StopAnnouncing{}, ReleaseVIPs{}, Transition{StateMaster, StateBackup, "higher priority 150 advert from 10.10.10.40"},
				Notify{StateBackup, 100}, ArmMasterDownTimer{down100}},
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
