package vrrp

import (
	"crypto/subtle"
	"fmt"
	"net/netip"
	"slices"
	"time"
)

// DropReason says why a received message was rejected (or, for the two "noted" reasons,
// what was odd about an accepted one). The runner keeps a counter per reason.
type DropReason uint8

// Reasons, in the order keepalived checks them (keepalived/vrrp/vrrp.c vrrp_check_packet).
const (
	DropNone               DropReason = iota
	DropLength                        // shorter than the fixed header
	DropAddrCount                     // address count does not match the length
	DropTTL                           // multicast: TTL / hop limit not 255; unicast: outside the peer's min_ttl..max_ttl
	DropVersion                       // not the instance's VRRP version
	DropAuthType                      // v2: unknown auth type, or not the configured one
	DropAuthPass                      // v2: PASS password differs
	DropInterval                      // v2: advert interval differs from ours
	DropType                          // not an advertisement
	DropChecksum                      // checksum does not verify
	DropDestination                   // multicast received in unicast mode or the reverse
	DropVRID                          // VRID is not the instance's (or no instance has it)
	DropUnknownPeer                   // unicast source is not a configured peer
	NoteIntervalMismatchV3            // v3: advert interval differs from ours (accepted, logged)
	NoteVIPMismatch                   // VIP list differs from ours (accepted, counted)
	DropQueueFull                     // the instance's mailbox was full (a flood): not even checked
	numDropReasons
)

var dropNames = [...]string{
	DropNone:               "none",
	DropLength:             "length",
	DropAddrCount:          "address_count",
	DropTTL:                "ttl",
	DropVersion:            "version",
	DropAuthType:           "auth_type",
	DropAuthPass:           "auth_password",
	DropInterval:           "interval",
	DropType:               "type",
	DropChecksum:           "checksum",
	DropDestination:        "destination",
	DropVRID:               "vrid",
	DropUnknownPeer:        "unknown_peer",
	NoteIntervalMismatchV3: "interval_mismatch_v3",
	NoteVIPMismatch:        "vip_mismatch",
	DropQueueFull:          "queue_full",
}

// String returns a short snake_case name suitable as a metric label.
func (r DropReason) String() string {
	if int(r) < len(dropNames) {
		return dropNames[r]
	}
	return fmt.Sprintf("reason(%d)", uint8(r))
}

// DropReasons lists every reason, for metrics that want all label values up front.
func DropReasons() []DropReason {
	rs := make([]DropReason, 0, numDropReasons-1)
	for r := DropLength; r < numDropReasons; r++ {
		rs = append(rs, r)
	}
	return rs
}

// ReceiveFilter holds what one instance checks every received message against.
type ReceiveFilter struct {
	Version  uint8
	VRID     uint8
	AuthType AuthType // version 2
	AuthData [8]byte  // version 2, PASS
	Interval time.Duration
	VIPs     []netip.Addr // our VIP list, compared with the advert's (count and members)
	// Peers, when not empty, puts the instance in unicast mode: only unicast messages from
	// these sources are accepted.
	Peers []netip.Addr
	// PeerTTL is the TTL / hop limit accepted from some of the Peers (keepalived's min_ttl
	// and max_ttl). A unicast message from any other peer is accepted at any TTL: RFC 5798's
	// rule of 255 is for the multicast group, and keepalived does not apply it to unicast,
	// whose adverts may cross routers.
	PeerTTL map[netip.Addr]TTLRange
	// SkipTTLCheck accepts multicast messages at any TTL / hop limit too. No keyword sets
	// it (keepalived always checks multicast); it is for tools and tests.
	SkipTTLCheck bool
	Codec        CodecOptions

	addrs []netip.Addr // Check decodes the addresses into it: see Received.Advert
}

// TTLRange is the TTL / hop limit accepted from a unicast peer, both ends included.
type TTLRange struct{ Min, Max uint8 }

// Contains reports whether ttl is within r.
func (r TTLRange) Contains(ttl int) bool { return ttl >= int(r.Min) && ttl <= int(r.Max) }

// Received is the outcome of ReceiveFilter.Check.
type Received struct {
	// Advert's Addrs share the filter's array: valid until the next Check, so that a
	// receiver allocates nothing per advert.
	Advert Advertisement
	Drop   DropReason   // DropNone when the message is accepted
	Notes  []DropReason // oddities of an accepted message, each worth a counter
}

// Check validates p in keepalived's order and decodes it.
func (f *ReceiveFilter) Check(p Packet) Received {
	src, dst := p.Src.Unmap(), p.Dst.Unmap()
	b := p.Payload
	if !dst.IsValid() || src.Is4() != dst.Is4() {
		return Received{Drop: DropDestination}
	}
	h, reason := parseHeader(b, src)
	if reason == DropVersion && len(b) >= headerLen {
		// The length of an unknown version cannot be judged; report the version.
		return Received{Drop: DropVersion}
	}
	if reason != DropNone {
		return Received{Drop: reason}
	}
	if len(f.Peers) == 0 && !f.SkipTTLCheck && p.HopLimit != -1 && p.HopLimit != TTL {
		return Received{Drop: DropTTL}
	}
	if h.version != f.Version {
		return Received{Drop: DropVersion}
	}
	a := h.advert(b, f.addrs)
	f.addrs = a.Addrs
	if h.version == 2 {
		if a.AuthType != f.AuthType { // f's is None or Pass (Validate), so this rejects others too
			return Received{Drop: DropAuthType}
		}
		if a.AuthType == AuthPass && subtle.ConstantTimeCompare(a.AuthData[:], f.AuthData[:]) != 1 {
			return Received{Drop: DropAuthPass}
		}
		if a.Interval != f.Interval {
			return Received{Drop: DropInterval}
		}
	}
	if a.Type != TypeAdvertisement {
		return Received{Drop: DropType}
	}
	var notes []DropReason
	if h.version == 3 && a.Interval != f.Interval {
		notes = append(notes, NoteIntervalMismatchV3)
	}
	if !checksumOK(b[:h.length], h.version, src, dst, f.Codec) {
		return Received{Drop: DropChecksum}
	}
	if dst.IsMulticast() == (len(f.Peers) > 0) {
		return Received{Drop: DropDestination}
	}
	if a.VRID != f.VRID {
		return Received{Drop: DropVRID}
	}
	if !sameAddrSet(a.Addrs, f.VIPs) {
		notes = append(notes, NoteVIPMismatch)
	}
	if len(f.Peers) > 0 && !slices.Contains(f.Peers, src) {
		return Received{Drop: DropUnknownPeer}
	}
	// keepalived checks a peer's range where it finds the peer (vrrp.c check_ttl_hl).
	if r, ok := f.PeerTTL[src]; ok && len(f.Peers) > 0 && p.HopLimit != -1 && !r.Contains(p.HopLimit) {
		return Received{Drop: DropTTL}
	}
	return Received{Advert: a, Notes: notes}
}

// sameAddrSet compares two lists of distinct addresses as sets.
func sameAddrSet(a, b []netip.Addr) bool {
	if len(a) != len(b) {
		return false
	}
	for _, x := range b {
		if !slices.Contains(a, x.WithZone("")) {
			return false
		}
	}
	return true
}
