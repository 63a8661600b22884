package director

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/halvs/halvs/internal/testutil"
	"github.com/halvs/halvs/lvs"
	"github.com/halvs/halvs/vrrp"
)

// kernel is a fake of everything the director touches: VRRP sockets, addresses,
// announcements, links, an in-memory IPVS table, and the clocks.
type kernel struct {
	clock testClock // VRRP and health checks: time passes only in clock.Advance and until

	mu      sync.Mutex
	vips    map[netip.Prefix]bool
	ops     []string // "add 10.0.0.1/32", "del ...", in order
	sent    []uint8  // priorities of adverts sent
	opened  []vrrp.TransportKey
	ipvs    *lvs.Memory
	noIPVS  bool
	openErr error
	closed  []string          // "addresser", "announcer": Close calls on the fakes handed in
	sysctl  map[string]string // net.ipv4.vs.* as the director set them
}

func newKernel() *kernel {
	return &kernel{clock: newTestClock(), vips: map[netip.Prefix]bool{}, ipvs: lvs.NewMemory()}
}

func (k *kernel) options(t *testing.T) Options {
	return Options{
		Logger:    slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Users:     fakeUsers,
		Addresser: (*fakeAddresser)(k), Announcer: (*fakeAnnouncer)(k), Links: fakeLinks{},
		Routes: &vrrp.MemoryRoutes{}, // never the host's routing table
		OpenTransport: func(key vrrp.TransportKey) (vrrp.Transport, error) {
			k.mu.Lock()
			defer k.mu.Unlock()
			if k.openErr != nil {
				return nil, k.openErr
			}
			k.opened = append(k.opened, key)
			return &fakeTransport{k: k, closed: make(chan struct{})}, nil
		},
		OpenIPVS: func() (lvs.Backend, error) {
			if k.noIPVS {
				return nil, lvs.ErrNoIPVS
			}
			return k.ipvs, nil
		},
		SetIPVSSysctl: func(name, value string) error {
			k.mu.Lock()
			defer k.mu.Unlock()
			if k.sysctl == nil {
				k.sysctl = map[string]string{}
			}
			k.sysctl[name] = value
			return nil
		},
		VRRPClock: k.clock, HealthClock: k.clock,
		IPVSRetry: time.Hour,
	}
}

func (k *kernel) hasVIP(p string) bool {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.vips[netip.MustParsePrefix(p)]
}

func (k *kernel) opLog() []string {
	k.mu.Lock()
	defer k.mu.Unlock()
	return slices.Clone(k.ops)
}

func (k *kernel) closeCalls() []string {
	k.mu.Lock()
	defer k.mu.Unlock()
	return slices.Clone(k.closed)
}

func (k *kernel) sentPriorities() []uint8 {
	k.mu.Lock()
	defer k.mu.Unlock()
	return slices.Clone(k.sent)
}

type fakeAddresser kernel

func (a *fakeAddresser) AddVIP(v vrrp.VIP) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.vips[v.Prefix] = true
	a.ops = append(a.ops, "add "+v.Prefix.String())
	return nil
}

func (a *fakeAddresser) DelVIP(v vrrp.VIP) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.vips[v.Prefix] { // removing what is absent is a no-op, not a flap
		a.ops = append(a.ops, "del "+v.Prefix.String())
	}
	delete(a.vips, v.Prefix)
	return nil
}

func (a *fakeAddresser) HasVIP(v vrrp.VIP) (bool, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.vips[v.Prefix], nil
}

// Close records the call: the director must not close an Addresser it was handed.
func (a *fakeAddresser) Close() error {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.closed = append(a.closed, "addresser")
	return nil
}

type fakeAnnouncer kernel

func (a *fakeAnnouncer) Announce(string, netip.Addr) error { return nil }

// Close records the call: the director must not close an Announcer it was handed.
func (a *fakeAnnouncer) Close() error {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.closed = append(a.closed, "announcer")
	return nil
}

// fakeLinks reports every device up, except those whose names start with "down".
type fakeLinks struct{}

func (fakeLinks) Watch(dev string, fn func(bool), _ <-chan struct{}) error {
	fn(!strings.HasPrefix(dev, "down"))
	return nil
}

// fakeTransport receives nothing (no peer) and records what is sent.
type fakeTransport struct {
	k      *kernel
	once   sync.Once
	closed chan struct{}
}

func (t *fakeTransport) Receive() (vrrp.Packet, error) {
	<-t.closed
	return vrrp.Packet{}, net.ErrClosed
}

func (t *fakeTransport) Send(_ netip.Addr, msg []byte) error {
	t.k.mu.Lock()
	defer t.k.mu.Unlock()
	if len(msg) > 2 {
		t.k.sent = append(t.k.sent, msg[2]) // the priority byte, v2 and v3 alike
	}
	return nil
}

func (t *fakeTransport) LocalAddr() netip.Addr { return netip.MustParseAddr("192.0.2.1") }

func (t *fakeTransport) Close() error {
	t.once.Do(func() { close(t.closed) })
	return nil
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(b []byte) (int, error) {
	w.t.Helper()
	w.t.Log(string(b[:len(b)-1]))
	return len(b), nil
}

var _ io.Writer = testWriter{}

// eventually polls cond until it holds or a few seconds pass: the director's work is
// asynchronous by design (queues, instance loops).
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	testutil.Eventually(t, 5*time.Second, what, cond)
}

// running starts d and returns a function that stops it and returns Run's error.
func running(t *testing.T, d *Director) (stop func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()
	var once sync.Once
	var err error
	stop = func() error {
		once.Do(func() {
			cancel()
			select {
			case err = <-done:
			case <-time.After(10 * time.Second):
				t.Fatal("Run did not return after cancel")
			}
		})
		return err
	}
	t.Cleanup(func() { stop() })
	return stop
}
