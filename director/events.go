package director

import (
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/halvs/halvs/healthcheck"
	"github.com/halvs/halvs/vrrp"
)

// EventsKept bounds the director's recent history: the status page and `halvs status` show
// what happened lately, the log keeps the rest.
const EventsKept = 64

// Event is one thing that happened to the director: a VRRP state change, a real server going
// up or down, a virtual server's quorum lost or regained, a reload.
type Event struct {
	At      time.Time `json:"at"`
	Kind    string    `json:"kind"`    // "vrrp", "check", "quorum" or "reload"
	Subject string    `json:"subject"` // the instance, "VS → RS", the virtual server, the config file
	// State is what the subject became: the VRRP state, "up"/"down", "lost"/"regained",
	// "success"/"failure".
	State   string `json:"state"`
	Message string `json:"message"` // in the log's words
}

// ReloadStatus is the outcome of the last reload (SIGHUP or the control socket).
type ReloadStatus struct {
	At     time.Time `json:"at"`
	OK     bool      `json:"ok"`
	Errors []string  `json:"errors,omitempty"` // the diagnostics or the director's refusal
}

// eventRing keeps the last EventsKept events and the last reload. Safe for concurrent use;
// add never blocks on anything but its own mutex, so the VRRP and health paths may call it.
type eventRing struct {
	mu     sync.Mutex
	buf    [EventsKept]Event
	next   int // where the next event goes
	n      int // how many are held
	reload *ReloadStatus
}

func (r *eventRing) add(e Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.buf[r.next] = e
	r.next = (r.next + 1) % EventsKept
	r.n = min(r.n+1, EventsKept)
}

// list returns the events held, newest first.
func (r *eventRing) list() []Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]Event, 0, r.n)
	for i := 1; i <= r.n; i++ {
		out = append(out, r.buf[(r.next-i+EventsKept)%EventsKept])
	}
	return out
}

func (r *eventRing) lastReload() *ReloadStatus {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.reload == nil {
		return nil
	}
	c := *r.reload
	c.Errors = append([]string(nil), c.Errors...)
	return &c
}

// NoteReload records a reload's outcome at at: errs empty is a success, else its errors (a
// config that failed validation never reaches Reload, so the caller, who read the file,
// reports every attempt). Safe for concurrent use.
func (d *Director) NoteReload(at time.Time, file string, errs []string) {
	rs := &ReloadStatus{At: at, OK: len(errs) == 0, Errors: append([]string(nil), errs...)}
	ev := Event{At: at, Kind: "reload", Subject: file, State: "success", Message: "configuration reloaded"}
	if !rs.OK {
		ev.State = "failure"
		ev.Message = "reload refused, the running configuration is kept: " + errs[0]
		if len(errs) > 1 {
			ev.Message += fmt.Sprintf(" (and %d more)", len(errs)-1)
		}
	}
	d.events.mu.Lock()
	d.events.reload = rs
	d.events.mu.Unlock()
	d.events.add(ev)
}

// noteStateChange records an instance's state change (observe.go).
func (d *Director) noteStateChange(c vrrp.StateChange, at time.Time) {
	msg := fmt.Sprintf("%s → %s", c.From, c.To)
	if c.Reason != "" {
		msg += ": " + c.Reason
	}
	d.events.add(Event{At: at, Kind: "vrrp", Subject: c.Name, State: c.To.String(), Message: msg})
}

// noteHealthEvent records a real server's or a quorum's change; the state reported for a
// new server (Initial) and weight changes are not news.
func (d *Director) noteHealthEvent(ev healthcheck.Event) {
	if ev.Initial {
		return
	}
	at := ev.Time
	if at.IsZero() {
		at = time.Now()
	}
	e := Event{At: at, Subject: ev.VirtualServer}
	switch ev.Type {
	case healthcheck.RealServerUp:
		e.Kind, e.State = "check", "up"
		e.Subject = ev.VirtualServer + " → " + ev.RealServer.String()
		e.Message = fmt.Sprintf("real server %s up, weight %d", ev.RealServer, ev.Weight)
	case healthcheck.RealServerDown:
		e.Kind, e.State = "check", "down"
		e.Subject = ev.VirtualServer + " → " + ev.RealServer.String()
		e.Message = "real server " + ev.RealServer.String() + " down"
		if ev.Inhibit {
			e.Message += " (weight 0, inhibit_on_failure)"
		}
		if r := strings.TrimSpace(ev.Reason); r != "" {
			e.Message += ": " + r
		}
	case healthcheck.QuorumLost:
		e.Kind, e.State = "quorum", "lost"
		e.Message = fmt.Sprintf("quorum lost (alive weight %d)", ev.Weight)
		if ev.SorryServer {
			e.Message += ", sorry server in"
		}
	case healthcheck.QuorumRegained:
		e.Kind, e.State = "quorum", "regained"
		e.Message = fmt.Sprintf("quorum regained (alive weight %d)", ev.Weight)
	default:
		return
	}
	d.events.add(e)
}
