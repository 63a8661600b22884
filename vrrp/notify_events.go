package vrrp

import (
	"context"
)

// keepalived's event notifies (vrrp_notify.c), beside the state scripts:
//   - a MASTER that hears a lower priority (another master, after a partition) runs
//     notify_master_rx_lower_pri's script, with no added arguments, and writes
//     `INSTANCE "NAME" MASTER_RX_LOWER_PRI PRIO` to the FIFOs (keepalived writes that line
//     whether or not a script is set);
//   - with notify_priority_changes, each change of the effective priority by a tracker writes
//     MASTER_PRIORITY (when MASTER) or BACKUP_PRIORITY (otherwise) with the new priority;
//   - with notify_deleted, an instance a reload removes is notified as DELETED, in place of
//     the STOP it is notified as otherwise, to the FIFOs, the generic notify script and
//     notify_deleted's own script.
//
// The FIFO lines go through Deps.OnStateChange as StateChanges with Event set. The scripts run
// on the instance's notify worker, in order with the state scripts, each within the notify
// timeout; unlike those, an event's script is never dropped for a newer state.

// rxLowerPri reports a lower-priority advert heard as MASTER. Called in the loop.
func (i *Instance) rxLowerPri() {
	i.notifyEvent("MASTER_RX_LOWER_PRI", i.m.Priority(), i.notif.config().MasterRxLowerPri)
}

// priorityChanged reports the change from before to the effective priority now, if
// notify_priority_changes asks for it. Called in the loop.
func (i *Instance) priorityChanged(before uint8) {
	now := i.m.Priority()
	if now == before || !i.notif.config().PriorityChanges {
		return
	}
	event := "BACKUP_PRIORITY"
	if i.m.State() == StateMaster {
		event = "MASTER_PRIORITY"
	}
	i.notifyEvent(event, now, nil)
}

// notifyEvent writes the event's FIFO line and runs script, if any, after what the kernel
// worker has queued (so in order with the state changes it reports). Called in the loop.
func (i *Instance) notifyEvent(event string, priority uint8, script []string) {
	s := i.m.State()
	c := StateChange{Name: i.name, From: s, To: s, Priority: priority, At: i.evTime, Event: event}
	i.kernel.do(func() {
		report(i.deps.OnStateChange, c)
		if len(script) > 0 {
			i.notif.runEvent(event, script, i.countScriptError)
		}
	})
}

func (i *Instance) countScriptError() {
	i.mu.Lock()
	i.counters.ScriptErrors++
	i.mu.Unlock()
}

// notifiedState is the state a Notify of s is notified as: DELETED for the STOP of an
// instance a reload removes, when notify_deleted is set.
func (i *Instance) notifiedState(s State) State {
	if s == StateStop && i.deleted.Load() && i.notif.config().NotifyDeleted {
		return StateDeleted
	}
	return s
}

// markDeleted marks the instances named as removed by a reload, before they stop.
func (r *Router) markDeleted(names []string) {
	for _, name := range names {
		if inst := r.instances[name]; inst != nil {
			inst.deleted.Store(true)
		}
	}
}

func (n *notifier) config() NotifyConfig {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.cfg
}

// runEvent queues script on the notify worker.
func (n *notifier) runEvent(event string, script []string, onErr func()) {
	timeout := n.config().Timeout
	if timeout <= 0 {
		timeout = DefaultNotifyTimeout
	}
	n.jobs.do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		defer cancel()
		if err := n.run(ctx, script); err != nil {
			n.log.Warn("notify script failed", "script", script, "event", event, "err", err)
			onErr()
			return
		}
		n.log.Debug("notify script done", "script", script, "event", event)
	})
}
