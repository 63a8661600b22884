package bgp

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"time"
)

// Speaker is the BGP speaker the Announcer drives: GoBGP in production (NewGoBGP), a
// recording fake in tests. Its methods are called by one goroutine at a time.
type Speaker interface {
	// Start runs the speaker with c's identity and neighbors. A started speaker is
	// stopped before it is started again.
	Start(ctx context.Context, c SpeakerConfig) error
	// SetNeighbors adds, updates and removes neighbors to match list, in place.
	SetNeighbors(ctx context.Context, list []Neighbor) error
	// Announce sends p to every neighbor of its family, next hop the session's own address;
	// Withdraw takes it back. Both are idempotent.
	Announce(ctx context.Context, p netip.Prefix) error
	Withdraw(ctx context.Context, p netip.Prefix) error
	// Neighbors reports each neighbor's session.
	Neighbors(ctx context.Context) ([]NeighborStatus, error)
	// Stop closes every session (a Cease notification) and stops the speaker.
	Stop(ctx context.Context) error
}

// NeighborStatus is one session as the speaker sees it.
type NeighborStatus struct {
	Addr    netip.Addr
	PeerASN uint32
	// State is the BGP FSM state in RFC 4271's words: IDLE, CONNECT, ACTIVE, OPENSENT,
	// OPENCONFIRM, ESTABLISHED.
	State string
	// Since is when the session was last established (zero if never).
	Since time.Time
}

// Up reports whether the session is established.
func (n NeighborStatus) Up() bool { return n.State == StateEstablished }

// StateEstablished is the session state in which routes are exchanged.
const StateEstablished = "ESTABLISHED"

// ErrNoRouterID says that the host has no IPv4 address to take a router ID from.
var ErrNoRouterID = errors.New("bgp: the host has no IPv4 address for a router ID; set bgp router_id")

// HostRouterID is the default router ID: the host's first IPv4 address (in interface
// order) that is not a loopback address.
func HostRouterID() (netip.Addr, error) {
	ifs, err := net.Interfaces()
	if err != nil {
		return netip.Addr{}, err
	}
	for _, ifi := range ifs {
		addrs, err := ifi.Addrs()
		if err != nil {
			continue
		}
		for _, a := range addrs {
			ipn, ok := a.(*net.IPNet)
			if !ok {
				continue
			}
			ip, ok := netip.AddrFromSlice(ipn.IP)
			if ip = ip.Unmap(); ok && ip.Is4() && !ip.IsLoopback() && !ip.IsUnspecified() {
				return ip, nil
			}
		}
	}
	return netip.Addr{}, ErrNoRouterID
}
