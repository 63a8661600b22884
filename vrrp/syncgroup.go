package vrrp

import (
	"fmt"
	"slices"
	"sync"
)

// SyncGroupConfig is keepalived's vrrp_sync_group: instances that change state together.
type SyncGroupConfig struct {
	Name    string
	Members []string // instance names
	Notify  NotifyConfig
}

// SyncGroup keeps its members together, as keepalived's vrrp_sync.c does:
//   - a member with a fault of its own puts every other member in FAULT until it clears;
//   - a member leaving MASTER for BACKUP makes the other MASTERs step down;
//   - a member becomes MASTER only when every member is ready (WantMaster) or MASTER.
//
// It is called from its members' loops and talks back to them only through their
// mailboxes, so no loop ever waits for another.
type SyncGroup struct {
	name   string
	notif  *notifier
	hook   func(StateChange)
	report *worker // runs hook, in order, off the members' loops

	mu         sync.Mutex
	members    []*Instance
	state      map[*Instance]State
	ownFault   map[*Instance]bool
	imposed    map[*Instance]bool
	want       map[*Instance]bool
	groupState State
	ended      bool // stopped: a member still reporting to it (before a reload moved it) is ignored
}

func newSyncGroup(cfg SyncGroupConfig, n *notifier, hook func(StateChange)) *SyncGroup {
	return &SyncGroup{
		name: cfg.Name, notif: n, hook: hook, report: newWorker(),
		state: map[*Instance]State{}, ownFault: map[*Instance]bool{},
		imposed: map[*Instance]bool{}, want: map[*Instance]bool{},
	}
}

func (g *SyncGroup) faultSource() string { return "sync group " + g.name }

// memberChanged records a member's state and whether it has a fault of its own.
func (g *SyncGroup) memberChanged(i *Instance, from, to State, own bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.ended {
		return
	}
	g.state[i], g.ownFault[i] = to, own
	for _, m := range g.members {
		var culprit *Instance
		for _, o := range g.members {
			if o != m && g.ownFault[o] {
				culprit = o
				break
			}
		}
		if impose := culprit != nil; impose != g.imposed[m] {
			g.imposed[m] = impose
			src := g.faultSource()
			if impose {
				m.box.put(input{at: i.evTime, ev: Fault{Source: src}})
			} else {
				m.box.put(input{at: i.evTime, ev: FaultCleared{Source: src}})
			}
		}
	}
	if from == StateMaster && to == StateBackup {
		reason := fmt.Sprintf("sync group %s: %s left MASTER", g.name, i.Name())
		for _, m := range g.members {
			if m != i && g.state[m] == StateMaster {
				m.box.put(input{at: i.evTime, ev: ForceBackup{Reason: reason}})
			}
		}
	}
	g.updateGroupState(i)
}

// memberWants records whether a member is ready to become MASTER and lets the ready ones
// go when all are.
func (g *SyncGroup) memberWants(i *Instance, want bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.ended {
		return
	}
	g.want[i] = want
	if !want {
		return
	}
	for _, m := range g.members {
		if !g.want[m] && g.state[m] != StateMaster {
			return
		}
	}
	for _, m := range g.members {
		if g.want[m] {
			m.box.put(input{at: i.evTime, ev: GroupMaster{}})
		}
	}
}

// updateGroupState sends the group's notifications when all members agree on a new state;
// i is the member whose change made them agree, in its loop.
func (g *SyncGroup) updateGroupState(i *Instance) {
	if len(g.members) == 0 {
		return
	}
	s, ok := g.state[g.members[0]]
	for _, m := range g.members[1:] {
		if g.state[m] != s {
			return
		}
	}
	if !ok || s == g.groupState || s == StateInit {
		return
	}
	c := StateChange{Name: g.name, SyncGroup: true, From: g.groupState, To: s, At: i.evTime}
	g.groupState = s
	if g.hook != nil {
		// Reported after the members' own changes (queued on their kernel workers before
		// this), and in order with the group's other changes.
		var reported []<-chan struct{}
		for _, m := range g.members {
			reported = append(reported, m.kernel.barrier())
		}
		g.report.do(func() {
			for _, ch := range reported {
				<-ch
			}
			g.hook(c)
		})
	}
	g.notif.notify(s, 0, nil)
}

// stop ends the group's workers after what they have queued. It waits for the reports,
// and for the notify scripts when wait is set; otherwise it returns the notify worker,
// which ends once its scripts have run.
func (g *SyncGroup) stop(wait bool) (notifying *worker) {
	g.mu.Lock()
	g.ended = true
	g.mu.Unlock()
	g.report.stop()
	g.notif.jobs.close()
	if wait {
		g.notif.jobs.wait()
		return nil
	}
	return g.notif.jobs
}

// Name returns the group's name.
func (g *SyncGroup) Name() string { return g.name }

// State returns the state all members last agreed on (INIT before they first did).
func (g *SyncGroup) State() State {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.groupState
}

// memberNames returns the names of the members.
func (g *SyncGroup) memberNames() []string {
	g.mu.Lock()
	defer g.mu.Unlock()
	names := make([]string, 0, len(g.members))
	for _, m := range g.members {
		names = append(names, m.Name())
	}
	return names
}

func (g *SyncGroup) addMember(i *Instance) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.members = append(g.members, i)
}

func (g *SyncGroup) removeMember(i *Instance) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.members = slices.DeleteFunc(g.members, func(m *Instance) bool { return m == i })
}

// inherit makes a running instance a member of g, a group a reload rebuilt, keeping what
// its old group (nil: none) knew of it: its state, whether it is ready for MASTER, its own
// fault, and (from a group of the same name, whose fault source is the same) whether the
// group had put it in FAULT. The instance confirms all that when it joins, in its loop.
func (g *SyncGroup) inherit(old *SyncGroup, i *Instance) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.members = append(g.members, i)
	if old == nil {
		return
	}
	old.mu.Lock()
	defer old.mu.Unlock()
	if s, ok := old.state[i]; ok {
		g.state[i] = s
	}
	g.ownFault[i], g.want[i] = old.ownFault[i], old.want[i]
	if old.name == g.name {
		g.imposed[i] = old.imposed[i]
	}
}

// inheritState carries the group state of the group g replaces, so that a rebuild sends no
// notification for a state the group was already in.
func (g *SyncGroup) inheritState(old *SyncGroup) {
	old.mu.Lock()
	s := old.groupState
	old.mu.Unlock()
	g.mu.Lock()
	g.groupState = s
	g.mu.Unlock()
}

// join is called by a member in its loop when a reload moved it into g: it reports the
// member's state so that the group imposes or lifts faults and agrees on its state.
func (g *SyncGroup) join(i *Instance, state State, own bool) {
	g.memberChanged(i, state, state, own)
}
