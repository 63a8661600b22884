package director

import (
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/halvs/halvs/control"
	"github.com/halvs/halvs/healthcheck"
	"github.com/halvs/halvs/vrrp"
)

// EventsKept bounds the director's recent history: the status page and `halvs status` show
// what happened lately, the log keeps the rest.
const EventsKept = 64

// eventRing keeps the last EventsKept events and the last reload. Safe for concurrent use;
// add never blocks on anything but its own mutex, so the VRRP and health paths may call it.
type eventRing struct {
	mu     sync.Mutex
	buf    [EventsKept]control.Event
	next   int // where the next event goes
	n      int // how many are held
	reload *control.Reload
	loaded time.Time // the last successful load or reload
}

func (r *eventRing) add(e control.Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.buf[r.next] = e
	r.next = (r.next + 1) % EventsKept
	r.n = min(r.n+1, EventsKept)
}

// list returns the events held, newest first.
func (r *eventRing) list() []control.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]control.Event, 0, r.n)
	for i := 1; i <= r.n; i++ {
		out = append(out, r.buf[(r.next-i+EventsKept)%EventsKept])
	}
	return out
}

// lastReload is the last reload's outcome (nil before the first) and when the config in
// force was loaded.
func (r *eventRing) lastReload() (*control.Reload, time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.reload == nil {
		return nil, r.loaded
	}
	c := *r.reload
	c.Errors = append([]string(nil), c.Errors...)
	return &c, r.loaded
}

// NoteReload records a reload's outcome at at: errs empty is a success, else its errors (a
// config that failed validation never reaches Reload, so the caller, who read the file,
// reports every attempt). Safe for concurrent use.
func (d *Director) NoteReload(at time.Time, file string, errs []string) {
	rs := &control.Reload{At: at, Result: "success", Errors: append([]string(nil), errs...)}
	ev := control.Event{At: at, Kind: "reload", Subject: file, State: "success", Message: "configuration reloaded"}
	if len(errs) > 0 {
		rs.Result, ev.State = "failure", "failure"
		ev.Message = "reload refused, the running configuration is kept: " + errs[0]
		if len(errs) > 1 {
			ev.Message += fmt.Sprintf(" (and %d more)", len(errs)-1)
		}
	}
	d.events.mu.Lock()
	d.events.reload = rs
	if len(errs) == 0 {
		d.events.loaded = at
	}
	d.events.mu.Unlock()
	d.events.add(ev)
}

// noteStateChange records an instance's state change (observe.go).
func (d *Director) noteStateChange(c vrrp.StateChange, at time.Time) {
	msg := fmt.Sprintf("%s → %s", c.From, c.To)
	if c.Reason != "" {
		msg += ": " + c.Reason
	}
	d.events.add(control.Event{At: at, Kind: "vrrp", Subject: c.Name, State: c.To.String(), Message: msg})
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
	e := control.Event{At: at, Subject: ev.VirtualServer}
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
