package healthcheck

import (
	"errors"
	"fmt"
	"net/netip"
	"time"

	"github.com/halvs/halvs/internal/script"
	"github.com/halvs/halvs/lvs"
)

// VirtualServer is what the scheduler needs of a virtual_server block: its quorum settings,
// scripts and real servers. The director translates the configuration into it; values are
// taken as given (keepalived's defaults are the director's to apply: quorum 1, weight 1).
type VirtualServer struct {
	// Name identifies the virtual server in events and status ("10.10.10.22:80/TCP").
	Name       string
	Quorum     int // minimum sum of alive weights; at least 1
	Hysteresis int // quorum is lost below Quorum−Hysteresis, regained at Quorum+Hysteresis
	QuorumUp   *script.Command
	QuorumDown *script.Command
	// SorryServer reports that the virtual server has a sorry_server: quorum events then tell
	// the director to swap it in (lost) or out (regained).
	SorryServer bool
	// Omega runs notify_down for every alive real server and quorum_down when the scheduler
	// stops.
	Omega       bool
	RealServers []RealServer
}

// RealServer is a real_server block as the scheduler sees it.
type RealServer struct {
	Addr             netip.AddrPort
	Weight           int  // configured weight, the base of the effective weight
	InhibitOnFailure bool // on failure set weight 0 rather than remove (carried in events)
	NotifyUp         *script.Command
	NotifyDown       *script.Command
	// Checks are the checker blocks; the server is up only while all pass. A server without
	// checks is always up, as in keepalived.
	Checks []Check
	// InitNotifies is rs_init_notifies: a server that starts up alive (at start, or new in a
	// reload) runs its notify_up, which keepalived otherwise runs only on a change.
	InitNotifies bool
}

// Check is one checker block with its scheduling.
type Check struct {
	Spec   Spec
	Timing Timing
}

func validate(vss []VirtualServer) error {
	names := map[string]bool{}
	for _, vs := range vss {
		if vs.Name == "" {
			return errors.New("virtual server without a name")
		}
		if names[vs.Name] {
			return fmt.Errorf("virtual server %s listed twice", vs.Name)
		}
		names[vs.Name] = true
		if vs.Quorum < 1 || vs.Hysteresis < 0 {
			return fmt.Errorf("virtual server %s: quorum must be at least 1 and hysteresis not negative", vs.Name)
		}
		for _, s := range []*script.Command{vs.QuorumUp, vs.QuorumDown} {
			if s != nil {
				if err := s.Validate(); err != nil {
					return fmt.Errorf("virtual server %s: %w", vs.Name, err)
				}
			}
		}
		addrs := map[netip.AddrPort]bool{}
		for _, rs := range vs.RealServers {
			where := fmt.Sprintf("virtual server %s real server %v", vs.Name, rs.Addr)
			if !rs.Addr.IsValid() || addrs[rs.Addr] {
				return fmt.Errorf("%s: missing or duplicate address", where)
			}
			addrs[rs.Addr] = true
			if rs.Weight < 0 || rs.Weight > lvs.MaxWeight {
				return fmt.Errorf("%s: weight %d outside 0..%d", where, rs.Weight, lvs.MaxWeight)
			}
			for _, s := range []*script.Command{rs.NotifyUp, rs.NotifyDown} {
				if s != nil {
					if err := s.Validate(); err != nil {
						return fmt.Errorf("%s: %w", where, err)
					}
				}
			}
			for _, c := range rs.Checks {
				if c.Spec == nil {
					return fmt.Errorf("%s: check without a spec", where)
				}
				if err := c.Timing.Validate(); err != nil {
					return fmt.Errorf("%s: %s: %w", where, c.Spec.Kind(), err)
				}
			}
		}
	}
	return nil
}

// EventType says what changed.
type EventType int

// The event types.
const (
	RealServerUp   EventType = iota + 1 // all checkers pass: add (or re-weight) the server
	RealServerDown                      // a checker failed: remove it, or weight 0 if Inhibit
	// WeightChanged: an alive server's effective weight changed (misc_dynamic, file_check), or a
	// reload changed a kept server's weight or inhibit_on_failure (alive or not; its health is
	// unchanged and Inhibit carries the new inhibit_on_failure).
	WeightChanged
	QuorumLost     // alive weight fell below quorum − hysteresis
	QuorumRegained // alive weight reached quorum + hysteresis
)

var eventNames = map[EventType]string{
	RealServerUp: "RealServerUp", RealServerDown: "RealServerDown", WeightChanged: "WeightChanged",
	QuorumLost: "QuorumLost", QuorumRegained: "QuorumRegained",
}

func (t EventType) String() string {
	if s, ok := eventNames[t]; ok {
		return s
	}
	return fmt.Sprintf("EventType(%d)", int(t))
}

// Event is one health change, in the order the scheduler decided it.
type Event struct {
	Type          EventType
	Time          time.Time
	VirtualServer string
	RealServer    netip.AddrPort // zero for quorum events
	// Weight is the effective weight for real-server events and the sum of alive weights for
	// quorum events.
	Weight int
	// Inhibit (RealServerDown, WeightChanged) is inhibit_on_failure: a down server gets weight 0
	// instead of removal.
	Inhibit bool
	// SorryServer (quorum events): the virtual server has a sorry server to swap in on
	// QuorumLost, out on QuorumRegained; while it is in, alive real servers stay out of the pool.
	SorryServer bool
	// Initial marks the state reported for a server that is new, at start or by an Update: a
	// state, not a change.
	Initial bool
	// Reason names the checker and its error for RealServerDown.
	Reason string
}

// Status is a snapshot of one virtual server's health.
type Status struct {
	VirtualServer string
	Quorum        int
	Hysteresis    int
	QuorumUp      bool
	AliveWeight   int
	QuorumSince   time.Time
	RealServers   []RealServerStatus
}

// RealServerStatus is one real server's health.
type RealServerStatus struct {
	Addr   netip.AddrPort
	Alive  bool
	Weight int // effective weight
	Since  time.Time
	Checks []CheckStatus
}

// CheckStatus is one checker's state as keepalived tracks it.
type CheckStatus struct {
	Checker     string // "tcp_check 10.0.0.1:80"
	Up          bool
	HasRun      bool
	Retries     int // failures counted towards retry
	Since       time.Time
	LastAt      time.Time
	LastOK      bool
	LastLatency time.Duration
	LastError   string
	Shared      int // real servers fed by this probe
}
