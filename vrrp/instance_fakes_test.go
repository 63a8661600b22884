package vrrp

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"maps"
	"net"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/halvs/halvs/internal/clock/clocktest"
)

// segment is an in-memory Ethernet segment joining fake transports.
type segment struct {
	mu    sync.Mutex
	ports []*fakeTransport
	// cut, when set, drops everything between the named local addresses (a partition).
	cut func(from, to netip.Addr) bool
}

type fakeTransport struct {
	seg      *segment
	local    netip.Addr
	in       chan Packet
	mu       sync.Mutex
	inflight int // sent to this port and not yet routed
	closed   chan struct{}
	once     sync.Once
	taken    bool
	dead     bool // a crashed host: sends nothing
}

func (s *segment) port(local netip.Addr) *fakeTransport {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := &fakeTransport{seg: s, local: local, in: make(chan Packet, 1024), closed: make(chan struct{})}
	s.ports = append(s.ports, t)
	return t
}

func (s *segment) busy() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, p := range s.ports {
		p.mu.Lock()
		n := p.inflight
		p.mu.Unlock()
		if n > 0 {
			return true
		}
	}
	return false
}

func (t *fakeTransport) Receive() (Packet, error) {
	t.mu.Lock()
	if t.taken {
		t.inflight-- // the previous packet has been routed
		t.taken = false
	}
	t.mu.Unlock()
	select {
	case p := <-t.in:
		t.mu.Lock()
		t.taken = true
		t.mu.Unlock()
		return p, nil
	case <-t.closed:
		return Packet{}, net.ErrClosed
	}
}

func (t *fakeTransport) Send(dst netip.Addr, msg []byte) error {
	t.mu.Lock()
	dead := t.dead
	t.mu.Unlock()
	if dead {
		return nil
	}
	t.seg.mu.Lock()
	ports := slices.Clone(t.seg.ports)
	cut := t.seg.cut
	t.seg.mu.Unlock()
	for _, p := range ports {
		if p == t || !dst.IsMulticast() && p.local != dst || cut != nil && cut(t.local, p.local) {
			continue
		}
		select {
		case <-p.closed:
			continue
		default:
		}
		p.inject(Packet{Src: t.local, Dst: dst, HopLimit: 255, Payload: bytes.Clone(msg)})
	}
	return nil
}

func (t *fakeTransport) inject(p Packet) {
	t.mu.Lock()
	t.inflight++
	t.mu.Unlock()
	t.in <- p
}

func (t *fakeTransport) LocalAddr() netip.Addr { return t.local }
func (t *fakeTransport) Close() error {
	t.once.Do(func() { close(t.closed) })
	return nil
}

// fakeAddresser is one host's addresses.
type fakeAddresser struct {
	mu   sync.Mutex
	have map[netip.Prefix]bool
	ops  []string
}

func (a *fakeAddresser) AddVIP(v VIP) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.have == nil {
		a.have = map[netip.Prefix]bool{}
	}
	a.have[v.Prefix] = true
	a.ops = append(a.ops, "add "+v.Prefix.String())
	return nil
}

func (a *fakeAddresser) DelVIP(v VIP) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	delete(a.have, v.Prefix)
	a.ops = append(a.ops, "del "+v.Prefix.String())
	return nil
}

func (a *fakeAddresser) HasVIP(v VIP) (bool, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.have[v.Prefix], nil
}

func (a *fakeAddresser) has(p netip.Prefix) bool {
	ok, _ := a.HasVIP(VIP{Prefix: p})
	return ok
}

// snapshot returns the addresses in the fake kernel, sorted.
func (a *fakeAddresser) snapshot() []netip.Prefix {
	a.mu.Lock()
	defer a.mu.Unlock()
	var out []netip.Prefix
	for p := range a.have {
		out = append(out, p)
	}
	slices.SortFunc(out, func(x, y netip.Prefix) int { return x.Addr().Compare(y.Addr()) })
	return out
}

// drop removes an address behind the instance's back (an operator's `ip addr del`).
func (a *fakeAddresser) drop(p netip.Prefix) {
	a.mu.Lock()
	defer a.mu.Unlock()
	delete(a.have, p)
}

type fakeAnnouncer struct {
	mu       sync.Mutex
	count    map[netip.Addr]int
	prepared []string // "dev addr" per Prepare call made before any announcement
}

func (f *fakeAnnouncer) Prepare(dev string, addr netip.Addr) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.count) == 0 {
		f.prepared = append(f.prepared, dev+" "+addr.String())
	}
	return nil
}

func (f *fakeAnnouncer) Announce(dev string, addr netip.Addr) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.count == nil {
		f.count = map[netip.Addr]int{}
	}
	f.count[addr]++
	return nil
}

func (f *fakeAnnouncer) total() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, c := range f.count {
		n += c
	}
	return n
}

func (f *fakeAnnouncer) n(addr netip.Addr) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.count[addr]
}

// fakeLinks is a LinkWatcher whose links change in set; a watcher ends when its stop
// channel closes, as NetlinkLinkWatcher's does.
type fakeLinks struct {
	mu       sync.Mutex
	watchers []fakeWatch
}

type fakeWatch struct {
	dev  string
	fn   func(bool)
	stop <-chan struct{}
}

func (l *fakeLinks) Watch(dev string, fn func(up bool), stop <-chan struct{}) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.watchers = append(l.watchers, fakeWatch{dev, fn, stop})
	fn(true)
	return nil
}

// live returns the watchers of dev whose stop channel is still open.
func (l *fakeLinks) live(dev string) []fakeWatch {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []fakeWatch
	for _, w := range l.watchers {
		select {
		case <-w.stop:
			continue
		default:
		}
		if w.dev == dev {
			out = append(out, w)
		}
	}
	return out
}

func (l *fakeLinks) set(dev string, up bool) {
	for _, w := range l.live(dev) {
		w.fn(up)
	}
}

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
	addr   *fakeAddresser
	ann    *fakeAnnouncer
	links  *fakeLinks
	port   *fakeTransport
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
	seg   *segment
	hosts []*host
	// ignoreNotify lets settle return while notify scripts are still running (a test
	// holding a script back).
	ignoreNotify bool
	// logTo, when set, gets the hosts' logs as JSON lines (info and up) instead of t.Log.
	logTo io.Writer
}

func newLab(t *testing.T) *lab {
	l := &lab{t: t, clock: clocktest.New(t0), seg: &segment{}}
	t.Cleanup(func() {
		for _, h := range l.hosts {
			h.r.Shutdown()
		}
	})
	return l
}

func (l *lab) host(local netip.Addr) *host {
	l.t.Helper()
	h := &host{addr: &fakeAddresser{}, ann: &fakeAnnouncer{}, links: &fakeLinks{}, script: &scriptLog{}}
	r, err := NewRouter(Deps{
		Addresser: h.addr, Announcer: h.ann, Links: h.links, Clock: l.clock,
		OpenTransport: func(TransportKey) (Transport, error) {
			h.port = l.seg.port(local) // a fresh socket, as after a restart
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
	s := seen{StateChange: c, addrs: h.addr.snapshot(), garps: h.ann.total(), scripts: len(h.script.all())}
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
		busy := l.seg.busy()
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
