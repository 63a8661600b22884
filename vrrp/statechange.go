package vrrp

import "time"

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
}

// FIFOLine is keepalived's notify_fifo line for the change, e.g. `INSTANCE "VI_1" MASTER
// 150` or `GROUP "VG_1" BACKUP 0`, with its newline.
func (c StateChange) FIFOLine() string {
	kind := "INSTANCE"
	if c.SyncGroup {
		kind = "GROUP"
	}
	return NotifyLine(kind, c.Name, c.To, c.Priority)
}

// report runs hook, if any, for c.
func report(hook func(StateChange), c StateChange) {
	if hook != nil {
		hook(c)
	}
}
