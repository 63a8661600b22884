package bgp

import (
	"context"
	"log/slog"
	"net"
	"net/netip"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	api "github.com/osrg/gobgp/v3/api"
	"github.com/osrg/gobgp/v3/pkg/server"

	"github.com/halvs/halvs/internal/testutil"
)

// routerPeer is a second GoBGP on loopback standing in for the upstream router: it listens
// on a free port and accepts the speaker under test as its neighbor.
type routerPeer struct {
	srv  *server.BgpServer
	port int
}

func startRouterPeer(t *testing.T, asn, peerASN uint32) *routerPeer {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	srv := server.NewBgpServer(server.LoggerOption(&slogAdapter{log: slog.New(slog.DiscardHandler)}))
	go srv.Serve()
	ctx := context.Background()
	if err := srv.StartBgp(ctx, &api.StartBgpRequest{Global: &api.Global{Asn: asn, RouterId: "10.0.0.1", ListenPort: int32(port),
		ListenAddresses: []string{"127.0.0.1"}}}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		srv.StopBgp(context.Background(), &api.StopBgpRequest{})
		srv.Stop()
	})
	err = srv.AddPeer(ctx, &api.AddPeerRequest{Peer: &api.Peer{
		Conf:      &api.PeerConf{NeighborAddress: "127.0.0.1", PeerAsn: peerASN},
		Transport: &api.Transport{PassiveMode: true},
		Timers:    &api.Timers{Config: &api.TimersConfig{HoldTime: 3, KeepaliveInterval: 1}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	return &routerPeer{srv: srv, port: port}
}

// routes lists the router's table: "PREFIX via NEXTHOP".
func (r *routerPeer) routes(t *testing.T) []string {
	t.Helper()
	var out []string
	err := r.srv.ListPath(context.Background(), &api.ListPathRequest{TableType: api.TableType_GLOBAL,
		Family: &api.Family{Afi: api.Family_AFI_IP, Safi: api.Family_SAFI_UNICAST}}, func(d *api.Destination) {
		for _, p := range d.Paths {
			nh := "?"
			for _, a := range p.Pattrs {
				var n api.NextHopAttribute
				if a.UnmarshalTo(&n) == nil {
					nh = n.NextHop
				}
			}
			out = append(out, d.Prefix+" via "+nh)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(out)
	return out
}

func waitFor(t *testing.T, what string, timeout time.Duration, cond func() bool) {
	t.Helper()
	testutil.Eventually(t, timeout, what, cond)
}

// TestGoBGPAnnounceWithdraw runs the real speaker against a GoBGP "router" on loopback: the
// session comes up, an announced prefix arrives with this side's address as next hop, a
// withdrawal removes it, and Stop ends the session.
func TestGoBGPAnnounceWithdraw(t *testing.T) {
	for _, tc := range []struct {
		name         string
		asn, peerASN uint32
	}{{"eBGP", 65010, 65000}, {"iBGP", 65000, 65000}} {
		t.Run(tc.name, func(t *testing.T) {
			r := startRouterPeer(t, tc.peerASN, tc.asn)
			sp := NewGoBGP(testLogger(t))
			ctx := context.Background()
			err := sp.Start(ctx, SpeakerConfig{ASN: tc.asn, RouterID: netip.MustParseAddr("10.0.0.11"),
				Neighbors: []Neighbor{{Addr: netip.MustParseAddr("127.0.0.1"), PeerASN: tc.peerASN, HoldTime: 3 * time.Second,
					ConnectRetry: time.Second, Port: r.port}}})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { sp.Stop(context.Background()) })
			waitFor(t, "the session", 20*time.Second, func() bool {
				ns, err := sp.Neighbors(ctx)
				return err == nil && len(ns) == 1 && ns[0].Up()
			})
			if err := sp.Announce(ctx, webVIP); err != nil {
				t.Fatal(err)
			}
			if err := sp.Announce(ctx, webVIP); err != nil { // idempotent
				t.Fatal(err)
			}
			want := []string{"10.10.10.22/32 via 127.0.0.1"}
			waitFor(t, "the announcement", 10*time.Second, func() bool { return cmp.Equal(want, r.routes(t)) })
			if err := sp.Withdraw(ctx, webVIP); err != nil {
				t.Fatal(err)
			}
			waitFor(t, "the withdrawal", 10*time.Second, func() bool { return len(r.routes(t)) == 0 })
			if err := sp.Announce(ctx, webVIP); err != nil {
				t.Fatal(err)
			}
			waitFor(t, "the second announcement", 10*time.Second, func() bool { return cmp.Equal(want, r.routes(t)) })
			if err := sp.Stop(ctx); err != nil {
				t.Fatal(err)
			}
			waitFor(t, "the route gone with the session", 10*time.Second, func() bool { return len(r.routes(t)) == 0 })
		})
	}
}

// testLogger logs through t, so a failing test shows the speaker's log; lines GoBGP's
// goroutines write after the test has ended are dropped.
func testLogger(t *testing.T) *slog.Logger {
	w := &tWriter{t: t}
	t.Cleanup(func() {
		w.mu.Lock()
		w.done = true
		w.mu.Unlock()
	})
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type tWriter struct {
	t    *testing.T
	mu   sync.Mutex
	done bool
}

func (w *tWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.done {
		w.t.Log(strings.TrimRight(string(p), "\n"))
	}
	return len(p), nil
}
