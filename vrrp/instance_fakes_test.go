package vrrp

import (
	"context"
	"io"
	"log/slog"
	"maps"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/halvs/halvs/internal/clock/clocktest"
	"github.com/halvs/halvs/vrrp/vrrptest"
)

// scriptLog records notify script runs instead of executing them.
type scriptLog struct {
	mu   sync.Mutex
	runs [][]string
	gate chan struct{} // when set, each script "runs" until it is closed
}

func (s *scriptLog) run(_ context.Context, argv []string) error {
	s.mu.Lock()
	s.runs = append(s.runs, slices.Clone(argv))
	gate := s.gate
	s.mu.Unlock()
	if gate != nil {
		<-gate
	}
	return nil
}

func (s *scriptLog) all() [][]string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.runs)
}

// host is one director in a test: a Router with its own fakes on a shared segment.
type host struct {
	r      *Router
	addr   *vrrptest.Addresser
	ann    *vrrptest.Announcer
	links  *vrrptest.Links
	port   *vrrptest.Port
	script *scriptLog

	mu      sync.Mutex
	changes []seen // what Deps.OnStateChange reported, in order
}

// seen is one reported state change and the host as it was when the hook ran.
type seen struct {
	StateChange
	addrs   []netip.Prefix // in the fake kernel
	garps   int            // announcements sent so far, all addresses
	scripts int            // notify scripts run so far
}

// lab is a segment, a clock and the hosts on it.
type lab struct {
	t     *testing.T
	clock *clocktest.Clock
	seg   *vrrptest.Segment
	hosts []*host
	// ignoreNotify lets settle return while notify scripts are still running (a test
	// holding a script back).
	ignoreNotify bool
	// logTo, when set, gets the hosts' logs as JSON lines (info and up) instead of t.Log.
	logTo io.Writer
}

func newLab(t *testing.T) *lab {
	l := &lab{t: t, clock: clocktest.New(t0), seg: &vrrptest.Segment{}}
	t.Cleanup(func() {
		for _, h := range l.hosts {
			h.r.Shutdown()
		}
	})
	return l
}

func (l *lab) host(local netip.Addr) *host {
	l.t.Helper()
	h := &host{addr: &vrrptest.Addresser{}, ann: &vrrptest.Announcer{}, links: &vrrptest.Links{}, script: &scriptLog{}}
	r, err := NewRouter(Deps{
		Addresser: h.addr, Announcer: h.ann, Links: h.links, Clock: l.clock,
		OpenTransport: func(TransportKey) (Transport, error) {
			h.port = l.seg.Port(local) // a fresh socket, as after a restart
			return h.port, nil
		},
		OnStateChange: h.onStateChange,
		RunScript:     h.script.run,
		Logger:        l.logger(),
	})
	if err != nil {
		l.t.Fatal(err)
	}
	h.r = r
	l.hosts = append(l.hosts, h)
	return h
}

func (l *lab) logger() *slog.Logger {
	if l.logTo != nil {
		return slog.New(slog.NewJSONHandler(l.logTo, nil))
	}
	return testLogger(l.t)
}

func (h *host) onStateChange(c StateChange) {
	s := seen{StateChange: c, addrs: h.addr.Held(), garps: h.ann.Total(), scripts: len(h.script.all())}
	h.mu.Lock()
	h.changes = append(h.changes, s)
	h.mu.Unlock()
}

func (h *host) reported() []seen {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.changes)
}

// fifoText is what keepalived's notify_fifo would hold: each change's FIFOLine.
func (h *host) fifoText() string {
	var b strings.Builder
	for _, c := range h.reported() {
		b.WriteString(c.FIFOLine())
	}
	return b.String()
}

func (h *host) apply(t *testing.T, cfgs ...InstanceConfig) {
	t.Helper()
	if err := h.r.Apply(cfgs, nil); err != nil {
		t.Fatal(err)
	}
}

// settle waits until every instance and the segment are idle. It polls because the
// runner's goroutines are real; it asserts nothing about how long that takes.
func (l *lab) settle() {
	deadline := time.Now().Add(10 * time.Second)
	quiet := 0
	for quiet < 3 {
		if time.Now().After(deadline) {
			l.t.Fatal("system did not settle")
		}
		busy := l.seg.Busy()
		for _, h := range l.hosts {
			for _, i := range h.r.Instances() {
				busy = busy || !i.box.idle() || !i.kernel.idle() || !i.notif.jobs.idle() && !l.ignoreNotify
			}
			for _, g := range h.r.syncGroups() {
				busy = busy || !g.report.idle() || !g.notif.jobs.idle() && !l.ignoreNotify
			}
			for _, w := range h.r.notifying() {
				busy = busy || !w.idle() && !l.ignoreNotify
			}
		}
		if busy {
			quiet = 0
		} else {
			quiet++
		}
		time.Sleep(50 * time.Microsecond)
	}
}

// syncGroups returns the running sync groups.
func (r *Router) syncGroups() []*SyncGroup {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Collect(maps.Values(r.groups))
}

func (l *lab) advance(d time.Duration) { l.clock.AdvanceSettled(d, l.settle) }
