package vrrp

import (
	"fmt"
	"net/netip"
	"time"
)

// StateChange is one state change of an instance or of a sync group, as Deps.OnStateChange
// receives it.
type StateChange struct {
	Name string // the vrrp_instance's name, or the vrrp_sync_group's when SyncGroup
	// SyncGroup marks a sync group's change: every member now agrees on To.
	SyncGroup bool
	From, To  State
	Reason    string    // why, as in the log line ("" for a sync group)
	Priority  uint8     // the effective priority at the change; 0 for a sync group
	At        time.Time // when the event that caused it happened
	// Armed is how long the master down timer whose expiry caused the change ran: the
	// Master_Down_Interval from the master's advertised interval (version 3) or Skew_Time
	// after a priority-0 advert. Zero when no down timer caused the change.
	Armed time.Duration
	// LastAdvert is when the advert that armed that timer was received (the old master's
	// last advert, or its priority-0 advert), on the runner's clock: At is LastAdvert +
	// Armed. Zero when the change was not a down timer's expiry or no advert armed the
	// timer (the first election, a startup, a cleared fault).
	LastAdvert time.Time
	// Preempted is, on a change to MASTER, the master this instance preempted while it was
	// still advertising (Machine.Preempted): alive, a BACKUP now. Zero otherwise.
	Preempted netip.Addr
	// Event, when set, marks not a change of state but one of keepalived's FIFO-only
	// notifications (notify_events.go): MASTER_RX_LOWER_PRI, MASTER_PRIORITY or
	// BACKUP_PRIORITY. From and To are then the instance's state, Priority its priority.
	Event string
}

// FIFOLine is keepalived's notify_fifo line for the change, e.g. `INSTANCE "VI_1" MASTER
// 150` or `GROUP "VG_1" BACKUP 0`, with its newline.
func (c StateChange) FIFOLine() string {
	kind := "INSTANCE"
	if c.SyncGroup {
		kind = "GROUP"
	}
	if c.Event != "" {
		return fmt.Sprintf("%s %q %s %d\n", kind, c.Name, c.Event, c.Priority)
	}
	return NotifyLine(kind, c.Name, c.To, c.Priority)
}

// report runs hook, if any, for c.
func report(hook func(StateChange), c StateChange) {
	if hook != nil {
		hook(c)
	}
}
