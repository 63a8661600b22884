package vrrp

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"time"
)

// Wire constants shared by both versions.
const (
	// Protocol is the IP protocol number of VRRP.
	Protocol = 112
	// TTL is the only IPv4 TTL / IPv6 hop limit a VRRP message may carry.
	TTL = 255

	headerLen  = 8 // version/type, VRID, priority, count, auth/interval, checksum
	v2AuthLen  = 8
	maxV3Inter = 0x0fff // 12 bits of centiseconds
)

// Multicast groups that VRRP adverts are sent to (RFC 5798 §5.1.1.2 and §5.1.2.2).
var (
	MulticastIPv4 = netip.MustParseAddr("224.0.0.18")
	MulticastIPv6 = netip.MustParseAddr("ff02::12")
)

// Type is the VRRP message type; only advertisements (1) are defined.
type Type uint8

// TypeAdvertisement is the one VRRP message type.
const TypeAdvertisement Type = 1

func (t Type) String() string {
	if t == TypeAdvertisement {
		return "ADVERTISEMENT"
	}
	return fmt.Sprintf("TYPE(%d)", uint8(t))
}

// AuthType is the VRRPv2 authentication type (RFC 2338 §5.3.6; RFC 3768 keeps only 0).
type AuthType uint8

// Authentication types. keepalived still offers PASS; AH is recognised but not implemented.
const (
	AuthNone AuthType = 0
	AuthPass AuthType = 1
	AuthAH   AuthType = 2
)

func (a AuthType) String() string {
	switch a {
	case AuthNone:
		return "NONE"
	case AuthPass:
		return "PASS"
	case AuthAH:
		return "AH"
	}
	return fmt.Sprintf("AUTH(%d)", uint8(a))
}

// Advertisement is one decoded VRRP message.
type Advertisement struct {
	Version  uint8 // 2 or 3
	Type     Type
	VRID     uint8
	Priority uint8
	AuthType AuthType // version 2 only
	AuthData [8]byte  // version 2 only: PASS password, zero-padded
	// Interval is the advertisement interval: whole seconds in version 2, centiseconds in
	// version 3 (at most 40.95 s).
	Interval time.Duration
	Addrs    []netip.Addr // all of the advert's address family
}

// CodecOptions changes how checksums are computed.
type CodecOptions struct {
	// V3ChecksumAsV2 computes the VRRPv3 IPv4 checksum over the message only, with no
	// pseudo-header (keepalived's v3_checksum_as_v2, needed to talk to keepalived builds
	// older than 1.2.24 and some vendors). It has no effect on IPv6 or version 2.
	V3ChecksumAsV2 bool
}

// ErrMarshal is wrapped by every Marshal error.
var ErrMarshal = errors.New("vrrp: cannot encode advertisement")

// PassAuthData returns keepalived's PASS authentication data for password: its first 8
// bytes, zero-padded.
func PassAuthData(password string) [8]byte {
	var d [8]byte
	copy(d[:], password)
	return d
}

// intervalUnit is what version's Max Adver Int counts: whole seconds in version 2 (RFC 3768),
// centiseconds in version 3 (RFC 5798).
func intervalUnit(version int) time.Duration {
	if version == 2 {
		return time.Second
	}
	return 10 * time.Millisecond
}

// CheckInterval reports whether version's advertisement carries interval d: whole seconds
// from 1 to 255 in version 2, centiseconds from 10ms to 40.95s in version 3.
func CheckInterval(version int, d time.Duration) error {
	switch version {
	case 2:
		if d%time.Second != 0 || d < time.Second || d > 255*time.Second {
			return errors.New("VRRPv2 carries whole seconds from 1 to 255; use a whole number, or version = 3 for sub-second intervals")
		}
	case 3:
		cs := intervalUnit(3)
		if d < cs || d > maxV3Inter*cs {
			return errors.New("VRRPv3 allows 10ms to 40.95s")
		}
		if d%cs != 0 {
			return errors.New("VRRPv3 carries centiseconds; use a multiple of 10ms")
		}
	default:
		return fmt.Errorf("version %d (want 2 or 3)", version)
	}
	return nil
}

// Marshal encodes a as a VRRP message sent from src to dst. The addresses are needed for
// the version 3 pseudo-header checksum and to choose the address size; they must be of the
// advertisement's family.
func (a *Advertisement) Marshal(src, dst netip.Addr, opts CodecOptions) ([]byte, error) {
	return a.AppendMarshal(nil, src, dst, opts)
}

// AppendMarshal is Marshal appending the message to buf, so that a sender reusing its
// buffer allocates nothing per advert (garbage collection delays the advert path).
func (a *Advertisement) AppendMarshal(buf []byte, src, dst netip.Addr, opts CodecOptions) ([]byte, error) {
	bad := func(format string, args ...any) ([]byte, error) {
		return nil, fmt.Errorf("%w: %s", ErrMarshal, fmt.Sprintf(format, args...))
	}
	if a.Version != 2 && a.Version != 3 {
		return bad("version %d (want 2 or 3)", a.Version)
	}
	if a.Type > 0x0f {
		return bad("type %d does not fit in 4 bits", a.Type)
	}
	if !src.IsValid() || !dst.IsValid() || src.Is4() != dst.Is4() {
		return bad("source %v and destination %v must be addresses of one family", src, dst)
	}
	v4 := src.Is4()
	if a.Version == 2 && !v4 {
		return bad("version 2 is IPv4 only")
	}
	if len(a.Addrs) > 255 {
		return bad("%d addresses (at most 255)", len(a.Addrs))
	}
	for _, ip := range a.Addrs {
		if ip.Is4() != v4 || ip.Zone() != "" {
			return bad("address %v is not a plain address of the source's family", ip)
		}
	}
	var intervalField uint16
	if a.Interval != 0 { // 0 only in tests of the codec; no instance runs on it
		if err := CheckInterval(int(a.Version), a.Interval); err != nil {
			return bad("interval %v: %v", a.Interval, err)
		}
	}
	intervalField = uint16(a.Interval / intervalUnit(int(a.Version)))

	asz := addrSize(v4)
	n := headerLen + asz*len(a.Addrs)
	if a.Version == 2 {
		n += v2AuthLen
	}
	start := len(buf)
	buf = slices.Grow(buf, n)[:start+n]
	b := buf[start:]
	clear(b)
	b[0] = a.Version<<4 | uint8(a.Type)
	b[1] = a.VRID
	b[2] = a.Priority
	b[3] = uint8(len(a.Addrs))
	if a.Version == 2 {
		b[4] = uint8(a.AuthType)
		b[5] = uint8(intervalField)
		copy(b[n-v2AuthLen:], a.AuthData[:])
	} else {
		binary.BigEndian.PutUint16(b[4:6], intervalField)
	}
	off := headerLen
	for _, ip := range a.Addrs {
		s := ip.AsSlice()
		copy(b[off:], s)
		off += len(s)
	}
	binary.BigEndian.PutUint16(b[6:8], checksum(b, a.Version, src, dst, opts))
	return buf, nil
}

// Unmarshal decodes the VRRP message b received from src for dst, checking its structure
// and its checksum. Trailing bytes are accepted only where Ethernet padding can explain
// them. A *DecodeError says why b was rejected.
func Unmarshal(b []byte, src, dst netip.Addr, opts CodecOptions) (Advertisement, error) {
	src, dst = src.Unmap(), dst.Unmap()
	if !dst.IsValid() || src.Is4() != dst.Is4() {
		return Advertisement{}, &DecodeError{Reason: DropDestination}
	}
	h, reason := parseHeader(b, src)
	if reason != DropNone {
		return Advertisement{}, &DecodeError{Reason: reason}
	}
	if !checksumOK(b[:h.length], h.version, src, dst, opts) {
		return Advertisement{}, &DecodeError{Reason: DropChecksum}
	}
	return h.advert(b, nil), nil
}

// DecodeError is returned by Unmarshal; Reason is what the receive counters use.
type DecodeError struct {
	Reason DropReason
}

func (e *DecodeError) Error() string { return "vrrp: bad message: " + e.Reason.String() }

// header is the fixed part of a message whose length and version are known to be sane.
type header struct {
	version uint8
	v4      bool
	length  int // message length without padding
}

func addrSize(v4 bool) int {
	if v4 {
		return 4
	}
	return 16
}

// parseHeader checks the length against the address count, and that the version is one
// whose layout is known for src's family.
func parseHeader(b []byte, src netip.Addr) (header, DropReason) {
	if len(b) < headerLen || !src.IsValid() {
		return header{}, DropLength
	}
	h := header{version: b[0] >> 4, v4: src.Is4()}
	if h.version != 2 && h.version != 3 || h.version == 2 && !h.v4 {
		return header{}, DropVersion
	}
	h.length = headerLen + int(b[3])*addrSize(h.v4)
	if h.version == 2 {
		h.length += v2AuthLen
	}
	if len(b) != h.length && !paddingOK(len(b), h.length, h.v4) {
		return header{}, DropAddrCount
	}
	return h, DropNone
}

// paddingOK reports whether got-want trailing bytes are Ethernet padding: a frame is padded
// to 60 bytes, so padding exists only when the IPv4 packet (20-byte header) is shorter than
// 46 bytes. IPv6 packets are never that short.
func paddingOK(got, want int, v4 bool) bool {
	const minPayload = 60 - 14 - 20
	return v4 && got > want && want < minPayload && got <= minPayload
}

// advert decodes the advertisement, its addresses into addrs' array when it is large
// enough (a receiver reusing it allocates nothing per advert).
func (h header) advert(b []byte, addrs []netip.Addr) Advertisement {
	a := Advertisement{
		Version:  h.version,
		Type:     Type(b[0] & 0x0f),
		VRID:     b[1],
		Priority: b[2],
	}
	if h.version == 2 {
		a.AuthType = AuthType(b[4])
		a.Interval = time.Duration(b[5]) * time.Second
		copy(a.AuthData[:], b[h.length-v2AuthLen:h.length])
	} else {
		a.Interval = time.Duration(binary.BigEndian.Uint16(b[4:6])&maxV3Inter) * 10 * time.Millisecond
	}
	count := int(b[3])
	if count > 0 {
		a.Addrs = slices.Grow(addrs[:0], count)[:count]
	}
	asz := addrSize(h.v4)
	for i := range count {
		off := headerLen + i*asz
		if h.v4 {
			a.Addrs[i] = netip.AddrFrom4([4]byte(b[off : off+4]))
		} else {
			a.Addrs[i] = netip.AddrFrom16([16]byte(b[off : off+16]))
		}
	}
	return a
}
