package director

import (
	"context"
	"io"
	"log/slog"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/halvs/halvs/internal/testutil"
	"github.com/halvs/halvs/lvs"
	"github.com/halvs/halvs/vrrp"
	"github.com/halvs/halvs/vrrp/vrrptest"
)

// kernel is a fake of everything the director touches: VRRP sockets (one segment, on which
// the director is the host 192.0.2.1), addresses, announcements, links, an in-memory IPVS
// table, and the clocks.
type kernel struct {
	clock testClock // VRRP and health checks: time passes only in clock.Advance and until
	seg   vrrptest.Segment
	addr  vrrptest.Addresser
	ann   vrrptest.Announcer
	links vrrptest.Links
	ipvs  *lvs.Memory

	mu      sync.Mutex
	opened  []vrrp.TransportKey
	noIPVS  bool
	openErr error
	sysctl  map[string]string // net.ipv4.vs.* as the director set them
}

// localAddr is the director's address on the fake segment.
var localAddr = netip.MustParseAddr("192.0.2.1")

func newKernel() *kernel {
	k := &kernel{clock: newTestClock(), ipvs: lvs.NewMemory()}
	k.links.Set("down1", false) // a tracked interface that is down
	return k
}

func (k *kernel) options(t *testing.T) Options {
	return Options{
		Logger:    slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Users:     fakeUsers,
		Addresser: &k.addr, Announcer: &k.ann, Links: &k.links,
		Routes: &vrrp.MemoryRoutes{}, // never the host's routing table
		OpenTransport: func(key vrrp.TransportKey) (vrrp.Transport, error) {
			k.mu.Lock()
			defer k.mu.Unlock()
			if k.openErr != nil {
				return nil, k.openErr
			}
			k.opened = append(k.opened, key)
			return k.seg.Port(localAddr), nil
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

func (k *kernel) hasVIP(p string) bool { return k.addr.Has(netip.MustParsePrefix(p)) }

// opLog is the VIPs added and removed, "add 10.0.0.1/32", "del ...", in order.
func (k *kernel) opLog() []string { return k.addr.Ops() }

// closeCalls names the fakes handed in that were closed: the director must not close them.
func (k *kernel) closeCalls() []string {
	var closed []string
	if k.addr.Closed() {
		closed = append(closed, "addresser")
	}
	if k.ann.Closed() {
		closed = append(closed, "announcer")
	}
	return closed
}

// sentPriorities are the priorities of the adverts sent, in order.
func (k *kernel) sentPriorities() []uint8 {
	var prios []uint8
	for _, p := range k.seg.Sent() {
		if len(p.Payload) > 2 {
			prios = append(prios, p.Payload[2]) // v2 and v3 alike
		}
	}
	return prios
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
