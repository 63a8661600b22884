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

var (
	webVIP = netip.MustParsePrefix("10.10.10.22/32")
	v6VIP  = netip.MustParsePrefix("2001:db8::22/128")
)

// routerPeer is a second GoBGP on loopback standing in for the upstream router: it listens
// on a free port and accepts the speaker under test as its neighbor.
type routerPeer struct {
	srv  *server.BgpServer
	port int
	lo   netip.Addr // the loopback address it listens on and peers from
}

func startRouterPeer(t *testing.T, asn, peerASN uint32) *routerPeer {
	return startRouterPeerOn(t, netip.MustParseAddr("127.0.0.1"), asn, peerASN)
}

func startRouterPeerOn(t *testing.T, lo netip.Addr, asn, peerASN uint32) *routerPeer {
	t.Helper()
	l, err := net.Listen("tcp", netip.AddrPortFrom(lo, 0).String())
	if err != nil && lo.Is6() {
		t.Skipf("no IPv6 loopback: %v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	srv := server.NewBgpServer(server.LoggerOption(&slogAdapter{log: slog.New(slog.DiscardHandler)}))
	go srv.Serve()
	ctx := context.Background()
	if err := srv.StartBgp(ctx, &api.StartBgpRequest{Global: &api.Global{Asn: asn, RouterId: "10.0.0.1", ListenPort: int32(port),
		ListenAddresses: []string{lo.String()}}}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		srv.StopBgp(context.Background(), &api.StopBgpRequest{})
		srv.Stop()
	})
	err = srv.AddPeer(ctx, &api.AddPeerRequest{Peer: &api.Peer{
		Conf:      &api.PeerConf{NeighborAddress: lo.String(), PeerAsn: peerASN},
		Transport: &api.Transport{PassiveMode: true},
		Timers:    &api.Timers{Config: &api.TimersConfig{HoldTime: 3, KeepaliveInterval: 1}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	return &routerPeer{srv: srv, port: port, lo: lo}
}

// routes lists the router's table: "PREFIX via NEXTHOP".
func (r *routerPeer) routes(t *testing.T) []string {
	t.Helper()
	var out []string
	afi := api.Family_AFI_IP
	if r.lo.Is6() {
		afi = api.Family_AFI_IP6
	}
	err := r.srv.ListPath(context.Background(), &api.ListPathRequest{TableType: api.TableType_GLOBAL,
		Family: &api.Family{Afi: afi, Safi: api.Family_SAFI_UNICAST}}, func(d *api.Destination) {
		for _, p := range d.Paths {
			nh := "?"
			for _, a := range p.Pattrs {
				var n api.NextHopAttribute
				var mp api.MpReachNLRIAttribute
				switch {
				case a.UnmarshalTo(&n) == nil:
					nh = n.NextHop
				case a.UnmarshalTo(&mp) == nil && len(mp.NextHops) > 0:
					nh = mp.NextHops[0]
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
		lo           string
		prefix       netip.Prefix
	}{
		{"eBGP", 65010, 65000, "127.0.0.1", webVIP},
		{"iBGP", 65000, 65000, "127.0.0.1", webVIP},
		{"eBGP IPv6", 65010, 65000, "::1", v6VIP},
	} {
		t.Run(tc.name, func(t *testing.T) {
			lo := netip.MustParseAddr(tc.lo)
			r := startRouterPeerOn(t, lo, tc.peerASN, tc.asn)
			sp := NewGoBGP(testLogger(t))
			ctx := context.Background()
			err := sp.Start(ctx, SpeakerConfig{ASN: tc.asn, RouterID: netip.MustParseAddr("10.0.0.11"),
				Neighbors: []Neighbor{{Addr: lo, PeerASN: tc.peerASN, HoldTime: 3 * time.Second,
					ConnectRetry: time.Second, Port: r.port}}})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { sp.Stop(context.Background()) })
			waitFor(t, "the session", 20*time.Second, func() bool {
				ns, err := sp.Neighbors(ctx)
				return err == nil && len(ns) == 1 && ns[0].Up()
			})
			if err := sp.Announce(ctx, tc.prefix); err != nil {
				t.Fatal(err)
			}
			if err := sp.Announce(ctx, tc.prefix); err != nil { // idempotent
				t.Fatal(err)
			}
			want := []string{tc.prefix.String() + " via " + lo.String()}
			waitFor(t, "the announcement", 10*time.Second, func() bool { return cmp.Equal(want, r.routes(t)) })
			if err := sp.Withdraw(ctx, tc.prefix); err != nil {
				t.Fatal(err)
			}
			waitFor(t, "the withdrawal", 10*time.Second, func() bool { return len(r.routes(t)) == 0 })
			if err := sp.Announce(ctx, tc.prefix); err != nil {
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

// TestGoBGPNeighborsInPlace: a neighbor's changed settings reset only its session, which
// comes back and gets the announced prefixes again; a removed neighbor is gone.
func TestGoBGPNeighborsInPlace(t *testing.T) {
	r := startRouterPeer(t, 65000, 65010)
	sp := NewGoBGP(testLogger(t))
	ctx := context.Background()
	nb := Neighbor{Addr: netip.MustParseAddr("127.0.0.1"), PeerASN: 65000, HoldTime: 3 * time.Second, ConnectRetry: time.Second, Port: r.port}
	if err := sp.Start(ctx, SpeakerConfig{ASN: 65010, RouterID: netip.MustParseAddr("10.0.0.11"), Neighbors: []Neighbor{nb}}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sp.Stop(context.Background()) })
	up := func() bool {
		ns, err := sp.Neighbors(ctx)
		return err == nil && len(ns) == 1 && ns[0].Up()
	}
	waitFor(t, "the session", 20*time.Second, up)
	if err := sp.Announce(ctx, webVIP); err != nil {
		t.Fatal(err)
	}
	want := []string{"10.10.10.22/32 via 127.0.0.1"}
	waitFor(t, "the announcement", 10*time.Second, func() bool { return cmp.Equal(want, r.routes(t)) })

	nb.HoldTime = 6 * time.Second
	if err := sp.SetNeighbors(ctx, []Neighbor{nb}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the session back with the new hold time", 20*time.Second, up)
	waitFor(t, "the prefix sent again", 10*time.Second, func() bool { return cmp.Equal(want, r.routes(t)) })

	if err := sp.SetNeighbors(ctx, nil); err != nil {
		t.Fatal(err)
	}
	if ns, err := sp.Neighbors(ctx); err != nil || len(ns) != 0 {
		t.Errorf("after removing the neighbor: %v (%v), want none", ns, err)
	}
	waitFor(t, "the route gone with the session", 10*time.Second, func() bool { return len(r.routes(t)) == 0 })
}
