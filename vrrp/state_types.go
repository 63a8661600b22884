package vrrp

import (
	"fmt"
	"net/netip"
	"time"
)

// State is a VRRP instance state, named as keepalived names it in logs and notify scripts.
type State uint8

// States. Stop is where an instance ends after Shutdown (keepalived's notify_stop).
const (
	StateInit State = iota
	StateBackup
	StateMaster
	StateFault
	StateStop
	// StateDeleted is never a state of the machine: it is notified, in place of STOP, for an
	// instance a reload removes when notify_deleted is set (notify_events.go).
	StateDeleted
)

func (s State) String() string {
	switch s {
	case StateInit:
		return "INIT"
	case StateBackup:
		return "BACKUP"
	case StateMaster:
		return "MASTER"
	case StateFault:
		return "FAULT"
	case StateStop:
		return "STOP"
	case StateDeleted:
		return "DELETED"
	}
	return fmt.Sprintf("STATE(%d)", uint8(s))
}

// Event is an input to Machine.Handle.
type Event interface{ isEvent() }

// Events.
type (
	// Startup leaves INIT: to MASTER for an address owner, to FAULT when a fault is already
	// known, otherwise to BACKUP.
	Startup struct{}
	// AdvertReceived is an advert that passed ReceiveFilter.Check, from source Src.
	AdvertReceived struct {
		Advert Advertisement
		Src    netip.Addr
	}
	// MasterDownTimerFired: the timer armed by the last ArmMasterDownTimer expired.
	MasterDownTimerFired struct{}
	// AdvertTimerFired: the timer armed by the last ArmAdvertTimer expired.
	AdvertTimerFired struct{}
	// PriorityChanged carries the new effective priority (see EffectivePriority).
	PriorityChanged struct{ Priority uint8 }
	// LinkChanged reports the instance's interface or a track_interface going up or down;
	// down is a fault named after the device.
	LinkChanged struct {
		Dev string
		Up  bool
	}
	// Fault adds a named fault source (a failed tracker, a sync group peer in FAULT). The
	// instance is in FAULT while any source is.
	Fault struct{ Source string }
	// FaultCleared removes a fault source.
	FaultCleared struct{ Source string }
	// ForceBackup makes a MASTER step down, as a sync group does when a member leaves
	// MASTER. Other states ignore it. A non-zero Priority becomes the effective priority
	// before the down timer is armed (a Handover's HoldPriority: its Skew_Time is the one
	// that runs), without an advert of its own; the owner's 255 stays.
	ForceBackup struct {
		Reason   string
		Priority uint8
	}
	// GroupMaster lets a sync group member that asked for MASTER (WantMaster) take over:
	// every member of its group is ready.
	GroupMaster struct{}
	// Shutdown ends the instance: a MASTER sends priority 0 and releases its VIPs.
	Shutdown struct{}
)

func (Startup) isEvent()              {}
func (AdvertReceived) isEvent()       {}
func (MasterDownTimerFired) isEvent() {}
func (AdvertTimerFired) isEvent()     {}
func (PriorityChanged) isEvent()      {}
func (LinkChanged) isEvent()          {}
func (Fault) isEvent()                {}
func (FaultCleared) isEvent()         {}
func (ForceBackup) isEvent()          {}
func (GroupMaster) isEvent()          {}
func (Shutdown) isEvent()             {}

// Action is an output of Machine.Handle, to be carried out in order.
type Action interface{ isAction() }

// Actions. An instance has one protocol timer: ArmAdvertTimer and ArmMasterDownTimer each
// replace whichever timer was armed, and StopTimers disarms it.
type (
	// Transition records a state change and why, for logs and status.
	Transition struct {
		From, To State
		Reason   string
	}
	// SendAdvert sends one advertisement with this priority.
	SendAdvert struct{ Priority uint8 }
	// ClaimVIPs adds the VIPs to the kernel.
	ClaimVIPs struct{}
	// ReleaseVIPs removes the VIPs from the kernel.
	ReleaseVIPs struct{}
	// StartAnnouncing starts the gratuitous ARP / unsolicited NA schedule: a burst now, a
	// second burst after garp_master_delay, then every garp_master_refresh.
	StartAnnouncing struct{}
	// StopAnnouncing cancels that schedule.
	StopAnnouncing struct{}
	// Reannounce sends one extra burst: a lower-priority advert showed a peer that may have
	// claimed the VIPs (split brain healing), so neighbours' caches may be stale.
	Reannounce struct{}
	// ReplyLimited: a lower-priority (or priority-0) advert reached a MASTER within an
	// advert interval of its last answer to one, so it is not answered again (counted).
	ReplyLimited struct{}
	// VerifyVIPs checks that the kernel still has the VIPs and repairs them if not.
	VerifyVIPs struct{}
	// ArmAdvertTimer arms the advert timer to fire after D.
	ArmAdvertTimer struct{ D time.Duration }
	// ArmMasterDownTimer arms the master down timer to fire after D.
	ArmMasterDownTimer struct{ D time.Duration }
	// StopTimers disarms the protocol timer.
	StopTimers struct{}
	// Notify runs the notify scripts and FIFO line for State (keepalived's
	// notify_master/backup/fault/stop and notify).
	Notify struct {
		State    State
		Priority uint8
	}
	// WantMaster tells a sync group whether this member is ready to become MASTER.
	WantMaster struct{ Want bool }
)

func (Transition) isAction()         {}
func (SendAdvert) isAction()         {}
func (ClaimVIPs) isAction()          {}
func (ReleaseVIPs) isAction()        {}
func (StartAnnouncing) isAction()    {}
func (StopAnnouncing) isAction()     {}
func (Reannounce) isAction()         {}
func (ReplyLimited) isAction()       {}
func (VerifyVIPs) isAction()         {}
func (ArmAdvertTimer) isAction()     {}
func (ArmMasterDownTimer) isAction() {}
func (StopTimers) isAction()         {}
func (Notify) isAction()             {}
func (WantMaster) isAction()         {}
