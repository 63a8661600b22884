package bgp

import (
	"net/netip"
	"time"
)

// Config is what the package runs: the speaker's identity, its neighbors and the
// announcements. It is plain data, built by FromConfig.
type Config struct {
	Speaker   SpeakerConfig
	Interface string // the dummy interface that holds the announced addresses
	Announces []Announce
}

// SpeakerConfig identifies the BGP speaker. A change of any field restarts it (GoBGP
// cannot change its AS or router ID in place); neighbors change in place.
type SpeakerConfig struct {
	ASN        uint32
	RouterID   netip.Addr // must be valid: FromConfig fills in the host's first IPv4 address
	ListenPort int        // 0: connect out only
	Neighbors  []Neighbor
}

// Neighbor is one router.
type Neighbor struct {
	Addr         netip.Addr
	PeerASN      uint32
	HoldTime     time.Duration // keepalive is a third of it
	ConnectRetry time.Duration
	Port         int
	LocalAddress netip.Addr // invalid: the kernel picks the source
}

// Announce is one bgp_announce: its prefixes go out while every tracked virtual server
// (by its track_virtual_server name) has its quorum.
type Announce struct {
	Name      string
	Prefixes  []netip.Prefix
	Track     []string
	DrainTime time.Duration
}
