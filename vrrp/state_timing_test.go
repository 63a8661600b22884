package vrrp

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestMachineAdvertAnswers: lower_prio_no_advert and higher_prio_send_advert, keepalived's
// choices for what a MASTER sends when it sees another master.
func TestMachineAdvertAnswers(t *testing.T) {
	const sec = time.Second
	down100 := MasterDownInterval(3, 100, sec)
	master := []step{{0, Startup{}}, {down100, MasterDownTimerFired{}}}
	with := func(f func(*MachineConfig)) MachineConfig { c := v3cfg(100); f(&c); return c }
	noAdvert := with(func(c *MachineConfig) { c.LowerPrioNoAdvert = true })
	sendHigher := with(func(c *MachineConfig) { c.HigherPrioSendAdvert = true })
	yield := func(reason string) []Action {
		return []Action{StopAnnouncing{}, ReleaseVIPs{}, Transition{StateMaster, StateBackup, reason},
			Notify{StateBackup, 100}, ArmMasterDownTimer{down100}}
	}
	tests := []struct {
		name      string
		cfg       MachineConfig
		step      step
		want      []Action
		wantState State
	}{
		{
			name: "lower_prio_no_advert: a lower-priority advert is not answered, the VIPs are re-announced",
			cfg:  noAdvert, step: step{5 * sec, adv(3, 50, sec, higher)},
			want: []Action{Reannounce{}}, wantState: StateMaster,
		},
		{
			name: "lower_prio_no_advert: nor an equal one from a lower address",
			cfg:  noAdvert, step: step{5 * sec, adv(3, 100, sec, lower)},
			want: []Action{Reannounce{}}, wantState: StateMaster,
		},
		{
			name: "lower_prio_no_advert: priority 0 is still answered",
			cfg:  noAdvert, step: step{5 * sec, adv(3, 0, sec, higher)},
			want: []Action{SendAdvert{100}, ArmAdvertTimer{sec}}, wantState: StateMaster,
		},
		{
			name: "higher_prio_send_advert: one advert before stepping down",
			cfg:  sendHigher, step: step{5 * sec, adv(3, 150, sec, lower)},
			want:      append([]Action{SendAdvert{100}}, yield("higher priority 150 advert from 10.10.10.20")...),
			wantState: StateBackup,
		},
		{
			name: "higher_prio_send_advert: also for an equal priority from a higher address",
			cfg:  sendHigher, step: step{5 * sec, adv(3, 100, sec, higher)},
			want:      append([]Action{SendAdvert{100}}, yield("equal priority advert from higher address 10.10.10.40")...),
			wantState: StateBackup,
		},
		{
			name: "higher_prio_send_advert: a lower-priority advert is answered as usual",
			cfg:  sendHigher, step: step{5 * sec, adv(3, 50, sec, higher)},
			want: []Action{SendAdvert{100}, ArmAdvertTimer{sec}, Reannounce{}}, wantState: StateMaster,
		},
		{
			name: "default: no advert before stepping down",
			cfg:  v3cfg(100), step: step{5 * sec, adv(3, 150, sec, lower)},
			want: yield("higher priority 150 advert from 10.10.10.20"), wantState: StateBackup,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := NewMachine(tt.cfg)
			for _, s := range master {
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
