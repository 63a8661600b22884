package bgp

import (
	"context"
	"fmt"
	"log/slog"
	"net/netip"
	"strings"
	"sync"
	"time"

	api "github.com/osrg/gobgp/v3/api"
	gobgplog "github.com/osrg/gobgp/v3/pkg/log"
	"github.com/osrg/gobgp/v3/pkg/server"
	"google.golang.org/protobuf/types/known/anypb"
)

// GoBGP is the Speaker backed by an embedded GoBGP server (no gRPC listener: halvs is its
// only client).
type GoBGP struct {
	log *slog.Logger

	mu        sync.Mutex
	srv       *server.BgpServer
	unwatch   context.CancelFunc // ends the session-state watch
	neighbors map[netip.Addr]Neighbor
	paths     map[netip.Prefix][]byte // announced prefix → GoBGP's path UUID

	// upMu guards up apart from mu: GoBGP's watch goroutine must never wait for a call that
	// holds mu while it waits for GoBGP.
	upMu sync.Mutex
	up   map[string]bool // neighbor → established, for the session log lines
}

// NewGoBGP returns a stopped speaker that logs through log.
func NewGoBGP(log *slog.Logger) *GoBGP {
	return &GoBGP{log: log, neighbors: map[netip.Addr]Neighbor{}, paths: map[netip.Prefix][]byte{}, up: map[string]bool{}}
}

// Start runs a GoBGP server with c's AS, router ID and listen port, then adds c's neighbors.
func (g *GoBGP) Start(ctx context.Context, c SpeakerConfig) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.srv != nil {
		return fmt.Errorf("bgp: speaker already started")
	}
	srv := server.NewBgpServer(server.LoggerOption(&slogAdapter{log: g.log}))
	go srv.Serve()
	port := int32(c.ListenPort)
	if port == 0 {
		port = -1 // GoBGP's "do not listen"
	}
	err := srv.StartBgp(ctx, &api.StartBgpRequest{Global: &api.Global{
		Asn: c.ASN, RouterId: c.RouterID.String(), ListenPort: port,
	}})
	if err != nil {
		srv.Stop()
		return fmt.Errorf("bgp: start the speaker (asn %d, router_id %s, listen_port %d): %w", c.ASN, c.RouterID, c.ListenPort, err)
	}
	g.srv = srv
	wctx, cancel := context.WithCancel(context.Background())
	g.unwatch = cancel
	if err := srv.WatchEvent(wctx, &api.WatchEventRequest{Peer: &api.WatchEventRequest_Peer{}}, g.peerEvent); err != nil {
		g.log.Warn("BGP: session changes will not be logged", "err", err)
	}
	g.neighbors = map[netip.Addr]Neighbor{}
	g.paths = map[netip.Prefix][]byte{}
	return g.setNeighbors(ctx, c.Neighbors)
}

// SetNeighbors adds the new neighbors, updates the changed ones (GoBGP resets their
// session) and removes the others.
func (g *GoBGP) SetNeighbors(ctx context.Context, list []Neighbor) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.srv == nil {
		return fmt.Errorf("bgp: speaker not started")
	}
	return g.setNeighbors(ctx, list)
}

func (g *GoBGP) setNeighbors(ctx context.Context, list []Neighbor) error {
	want := map[netip.Addr]bool{}
	var errs []string
	for _, n := range list {
		want[n.Addr] = true
		old, ok := g.neighbors[n.Addr]
		switch {
		case ok && old == n:
			continue
		case ok:
			// A changed AS, port or source needs a new session: delete and add again
			// (UpdatePeer would keep some transport settings).
			if err := g.srv.DeletePeer(ctx, &api.DeletePeerRequest{Address: n.Addr.String()}); err != nil {
				errs = append(errs, fmt.Sprintf("neighbor %s: %v", n.Addr, err))
				continue
			}
			delete(g.neighbors, n.Addr)
		}
		if err := g.srv.AddPeer(ctx, &api.AddPeerRequest{Peer: apiPeer(n)}); err != nil {
			errs = append(errs, fmt.Sprintf("neighbor %s: %v", n.Addr, err))
			continue
		}
		g.neighbors[n.Addr] = n
	}
	for a := range g.neighbors {
		if want[a] {
			continue
		}
		if err := g.srv.DeletePeer(ctx, &api.DeletePeerRequest{Address: a.String()}); err != nil {
			errs = append(errs, fmt.Sprintf("neighbor %s: %v", a, err))
			continue
		}
		delete(g.neighbors, a)
	}
	if len(errs) > 0 {
		return fmt.Errorf("bgp: %s", strings.Join(errs, "; "))
	}
	return nil
}

func apiPeer(n Neighbor) *api.Peer {
	secs := func(d time.Duration) uint64 { return uint64(d / time.Second) }
	p := &api.Peer{
		Conf: &api.PeerConf{NeighborAddress: n.Addr.String(), PeerAsn: n.PeerASN},
		Timers: &api.Timers{Config: &api.TimersConfig{
			HoldTime: secs(n.HoldTime), KeepaliveInterval: max(secs(n.HoldTime)/3, 1),
			ConnectRetry: secs(n.ConnectRetry), IdleHoldTimeAfterReset: secs(n.ConnectRetry),
		}},
		Transport: &api.Transport{RemotePort: uint32(n.Port)},
	}
	if n.LocalAddress.IsValid() {
		p.Transport.LocalAddress = n.LocalAddress.String()
	}
	return p
}

// Announce adds p to GoBGP's table as a locally originated path with an unspecified next
// hop, which GoBGP replaces with each session's own address.
func (g *GoBGP) Announce(ctx context.Context, p netip.Prefix) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.srv == nil {
		return fmt.Errorf("bgp: speaker not started")
	}
	if _, ok := g.paths[p]; ok {
		return nil
	}
	path, err := apiPath(p)
	if err != nil {
		return err
	}
	res, err := g.srv.AddPath(ctx, &api.AddPathRequest{TableType: api.TableType_GLOBAL, Path: path})
	if err != nil {
		return fmt.Errorf("bgp: announce %s: %w", p, err)
	}
	g.paths[p] = res.Uuid
	return nil
}

// Withdraw removes p from GoBGP's table; GoBGP sends the withdrawal to every neighbor.
func (g *GoBGP) Withdraw(ctx context.Context, p netip.Prefix) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	id, ok := g.paths[p]
	if !ok || g.srv == nil {
		return nil
	}
	if err := g.srv.DeletePath(ctx, &api.DeletePathRequest{TableType: api.TableType_GLOBAL, Uuid: id}); err != nil {
		return fmt.Errorf("bgp: withdraw %s: %w", p, err)
	}
	delete(g.paths, p)
	return nil
}

func apiPath(p netip.Prefix) (*api.Path, error) {
	nlri, err := anypb.New(&api.IPAddressPrefix{PrefixLen: uint32(p.Bits()), Prefix: p.Addr().String()})
	if err != nil {
		return nil, err
	}
	origin, err := anypb.New(&api.OriginAttribute{Origin: 0}) // IGP
	if err != nil {
		return nil, err
	}
	if p.Addr().Is4() {
		nh, err := anypb.New(&api.NextHopAttribute{NextHop: "0.0.0.0"})
		if err != nil {
			return nil, err
		}
		return &api.Path{Family: &api.Family{Afi: api.Family_AFI_IP, Safi: api.Family_SAFI_UNICAST}, Nlri: nlri,
			Pattrs: []*anypb.Any{origin, nh}}, nil
	}
	mp, err := anypb.New(&api.MpReachNLRIAttribute{Family: &api.Family{Afi: api.Family_AFI_IP6, Safi: api.Family_SAFI_UNICAST},
		NextHops: []string{"::"}, Nlris: []*anypb.Any{nlri}})
	if err != nil {
		return nil, err
	}
	return &api.Path{Family: &api.Family{Afi: api.Family_AFI_IP6, Safi: api.Family_SAFI_UNICAST}, Nlri: nlri,
		Pattrs: []*anypb.Any{origin, mp}}, nil
}

// Neighbors lists GoBGP's peers with their session state.
func (g *GoBGP) Neighbors(ctx context.Context) ([]NeighborStatus, error) {
	g.mu.Lock()
	srv := g.srv
	g.mu.Unlock()
	if srv == nil {
		return nil, nil
	}
	var out []NeighborStatus
	err := srv.ListPeer(ctx, &api.ListPeerRequest{}, func(p *api.Peer) {
		ns := NeighborStatus{State: "IDLE"}
		if p.Conf != nil {
			ns.Addr, _ = netip.ParseAddr(p.Conf.NeighborAddress)
			ns.PeerASN = p.Conf.PeerAsn
		}
		if p.State != nil {
			ns.State = sessionState(p.State.SessionState)
		}
		if t := p.Timers; t != nil && t.State != nil && t.State.Uptime != nil && ns.State == StateEstablished {
			ns.Since = t.State.Uptime.AsTime()
		}
		out = append(out, ns)
	})
	return out, err
}

func sessionState(s api.PeerState_SessionState) string {
	switch s {
	case api.PeerState_CONNECT:
		return "CONNECT"
	case api.PeerState_ACTIVE:
		return "ACTIVE"
	case api.PeerState_OPENSENT:
		return "OPENSENT"
	case api.PeerState_OPENCONFIRM:
		return "OPENCONFIRM"
	case api.PeerState_ESTABLISHED:
		return StateEstablished
	}
	return "IDLE"
}

// peerEvent logs a session's change of state: up (ESTABLISHED) at info, down from
// ESTABLISHED at warn, the steps between at debug.
func (g *GoBGP) peerEvent(r *api.WatchEventResponse) {
	ev := r.GetPeer()
	if ev == nil || ev.Type != api.WatchEventResponse_PeerEvent_STATE || ev.Peer == nil || ev.Peer.State == nil || ev.Peer.Conf == nil {
		return
	}
	st := sessionState(ev.Peer.State.SessionState)
	attrs := []any{"neighbor", ev.Peer.Conf.NeighborAddress, "peer_asn", ev.Peer.Conf.PeerAsn, "state", st}
	g.upMu.Lock()
	was := g.up[ev.Peer.Conf.NeighborAddress]
	g.up[ev.Peer.Conf.NeighborAddress] = st == StateEstablished
	g.upMu.Unlock()
	switch {
	case st == StateEstablished && !was:
		g.log.Info("BGP session established", attrs...)
	case st != StateEstablished && was:
		g.log.Warn("BGP session down", attrs...)
	default:
		g.log.Debug("BGP session state", attrs...)
	}
}

// Stop sends a Cease to every neighbor and stops the server.
func (g *GoBGP) Stop(ctx context.Context) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.srv == nil {
		return nil
	}
	err := g.srv.StopBgp(ctx, &api.StopBgpRequest{})
	g.unwatch()
	g.srv.Stop()
	g.srv = nil
	g.neighbors = map[netip.Addr]Neighbor{}
	g.paths = map[netip.Prefix][]byte{}
	return err
}

// slogAdapter is GoBGP's logger on slog. GoBGP's info lines (every configuration step) go
// to debug; halvs logs the session and announcement changes itself.
type slogAdapter struct {
	log *slog.Logger
}

func (a *slogAdapter) attrs(fields gobgplog.Fields) []any {
	out := make([]any, 0, 2*len(fields)+2)
	out = append(out, "component", "gobgp")
	for k, v := range fields {
		out = append(out, strings.ToLower(k), v)
	}
	return out
}

func (a *slogAdapter) Panic(msg string, f gobgplog.Fields) {
	a.log.Error(msg, a.attrs(f)...)
	panic("gobgp: " + msg)
}

func (a *slogAdapter) Fatal(msg string, f gobgplog.Fields) {
	a.log.Error(msg, a.attrs(f)...)
	panic("gobgp: " + msg)
}

func (a *slogAdapter) Error(msg string, f gobgplog.Fields) { a.log.Error(msg, a.attrs(f)...) }
func (a *slogAdapter) Warn(msg string, f gobgplog.Fields)  { a.log.Warn(msg, a.attrs(f)...) }
func (a *slogAdapter) Info(msg string, f gobgplog.Fields)  { a.log.Debug(msg, a.attrs(f)...) }
func (a *slogAdapter) Debug(msg string, f gobgplog.Fields) { a.log.Debug(msg, a.attrs(f)...) }
func (a *slogAdapter) SetLevel(gobgplog.LogLevel)          {}

func (a *slogAdapter) GetLevel() gobgplog.LogLevel {
	if a.log.Enabled(context.Background(), slog.LevelDebug) {
		return gobgplog.DebugLevel
	}
	return gobgplog.WarnLevel
}
