package vrrp

import (
	"bytes"
	"errors"
	"net/netip"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func mustMarshal(t testing.TB, a Advertisement, src, dst netip.Addr, opts CodecOptions) []byte {
	t.Helper()
	b, err := a.Marshal(src, dst, opts)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestCheckReasons(t *testing.T) {
	peer := netip.MustParseAddr("10.10.10.31")
	v2 := Advertisement{Version: 2, Type: TypeAdvertisement, VRID: 51, Priority: 100,
		AuthType: AuthPass, AuthData: PassAuthData("secret"), Interval: time.Second,
		Addrs: []netip.Addr{vip22}}
	v3 := Advertisement{Version: 3, Type: TypeAdvertisement, VRID: 51, Priority: 100,
		Interval: time.Second, Addrs: []netip.Addr{vip22}}
	f2 := ReceiveFilter{Version: 2, VRID: 51, AuthType: AuthPass, AuthData: PassAuthData("secret"),
		Interval: time.Second, VIPs: []netip.Addr{vip22}}
	f3 := ReceiveFilter{Version: 3, VRID: 51, Interval: time.Second, VIPs: []netip.Addr{vip22}}

	pkt := func(a Advertisement, dst netip.Addr) Packet {
		return Packet{Src: peer, Dst: dst, HopLimit: 255, Payload: mustMarshal(t, a, peer, dst, CodecOptions{})}
	}
	with := func(a Advertisement, f func(*Advertisement)) Advertisement {
		a.Addrs = append([]netip.Addr(nil), a.Addrs...)
		f(&a)
		return a
	}
	good2 := pkt(v2, MulticastIPv4)
	good3 := pkt(v3, MulticastIPv4)
	hops := func(p Packet, ttl int) Packet { p.HopLimit = ttl; return p }
	unicast := func(ttl map[netip.Addr]TTLRange) ReceiveFilter {
		f := f3
		f.Peers, f.PeerTTL = []netip.Addr{peer, client}, ttl
		return f
	}
	mutate := func(p Packet, f func(b []byte) []byte) Packet {
		p.Payload = f(bytes.Clone(p.Payload))
		return p
	}

	tests := []struct {
		name   string
		filter ReceiveFilter
		pkt    Packet
		drop   DropReason
		notes  []DropReason
	}{
		{name: "v2 accepted", filter: f2, pkt: good2},
		{name: "v3 accepted", filter: f3, pkt: good3},
		{name: "short", filter: f3, pkt: mutate(good3, func(b []byte) []byte { return b[:7] }), drop: DropLength},
		{name: "count beyond length", filter: f3, pkt: mutate(good3, func(b []byte) []byte { b[3] = 2; return b }), drop: DropAddrCount},
		{name: "ethernet padding accepted", filter: f3, pkt: mutate(good3, func(b []byte) []byte { return append(b, 0, 0) })},
		{name: "too long for padding", filter: f2, pkt: mutate(good2, func(b []byte) []byte { return append(b, make([]byte, 8)...) }), drop: DropAddrCount},
		{name: "ttl", filter: f3, pkt: func() Packet { p := good3; p.HopLimit = 64; return p }(), drop: DropTTL},
		{name: "ttl unknown", filter: f3, pkt: func() Packet { p := good3; p.HopLimit = -1; return p }()},
		{name: "ttl check off", filter: func() ReceiveFilter { f := f3; f.SkipTTLCheck = true; return f }(),
			pkt: func() Packet { p := good3; p.HopLimit = 1; return p }()},
		{name: "ttl before version", filter: f2, pkt: func() Packet { p := good3; p.HopLimit = 1; return p }(), drop: DropTTL},
		{name: "version", filter: f2, pkt: good3, drop: DropVersion},
		{name: "unknown version", filter: f3, pkt: mutate(good3, func(b []byte) []byte { b[0] = 0x41; return b }), drop: DropVersion},
		{name: "auth type", filter: f2, pkt: pkt(with(v2, func(a *Advertisement) { a.AuthType = AuthNone }), MulticastIPv4), drop: DropAuthType},
		{name: "auth type AH", filter: f2, pkt: pkt(with(v2, func(a *Advertisement) { a.AuthType = AuthAH }), MulticastIPv4), drop: DropAuthType},
		{name: "password", filter: f2, pkt: pkt(with(v2, func(a *Advertisement) { a.AuthData = PassAuthData("other") }), MulticastIPv4), drop: DropAuthPass},
		{name: "v2 interval", filter: f2, pkt: pkt(with(v2, func(a *Advertisement) { a.Interval = 2 * time.Second }), MulticastIPv4), drop: DropInterval},
		{name: "type", filter: f3, pkt: pkt(with(v3, func(a *Advertisement) { a.Type = 2 }), MulticastIPv4), drop: DropType},
		{name: "v3 interval noted", filter: f3, pkt: pkt(with(v3, func(a *Advertisement) { a.Interval = 50 * time.Millisecond }), MulticastIPv4),
			notes: []DropReason{NoteIntervalMismatchV3}},
		{name: "checksum", filter: f3, pkt: mutate(good3, func(b []byte) []byte { b[7] ^= 1; return b }), drop: DropChecksum},
		{name: "checksum after type", filter: f3, pkt: mutate(good3, func(b []byte) []byte { b[0] = 0x32; return b }), drop: DropType},
		{name: "unicast in multicast mode", filter: f3, pkt: pkt(v3, director), drop: DropDestination},
		{name: "multicast in unicast mode", filter: func() ReceiveFilter { f := f3; f.Peers = []netip.Addr{peer}; return f }(),
			pkt: good3, drop: DropDestination},
		{name: "vrid", filter: f3, pkt: pkt(with(v3, func(a *Advertisement) { a.VRID = 52 }), MulticastIPv4), drop: DropVRID},
		{name: "vip list noted", filter: f3, pkt: pkt(with(v3, func(a *Advertisement) { a.Addrs = []netip.Addr{director} }), MulticastIPv4),
			notes: []DropReason{NoteVIPMismatch}},
		{name: "vip count noted", filter: f3, pkt: pkt(with(v3, func(a *Advertisement) { a.Addrs = append(a.Addrs, director) }), MulticastIPv4),
			notes: []DropReason{NoteVIPMismatch}},
		{name: "unicast peer accepted", filter: func() ReceiveFilter { f := f3; f.Peers = []netip.Addr{peer}; return f }(),
			pkt: pkt(v3, director)},
		{name: "unicast unknown peer", filter: func() ReceiveFilter { f := f3; f.Peers = []netip.Addr{client}; return f }(),
			pkt: pkt(v3, director), drop: DropUnknownPeer},
		{name: "unicast any ttl", filter: unicast(nil), pkt: hops(pkt(v3, director), 62)},
		{name: "unicast ttl in the peer's range", filter: unicast(map[netip.Addr]TTLRange{peer: {Min: 250, Max: 254}}),
			pkt: hops(pkt(v3, director), 250)},
		{name: "unicast ttl below min_ttl", filter: unicast(map[netip.Addr]TTLRange{peer: {Min: 255, Max: 255}}),
			pkt: hops(pkt(v3, director), 254), drop: DropTTL},
		{name: "unicast ttl above max_ttl", filter: unicast(map[netip.Addr]TTLRange{peer: {Min: 0, Max: 64}}),
			pkt: pkt(v3, director), drop: DropTTL},
		{name: "unicast ttl unknown", filter: unicast(map[netip.Addr]TTLRange{peer: {Min: 255, Max: 255}}),
			pkt: hops(pkt(v3, director), -1)},
		{name: "unicast other peer's range", filter: unicast(map[netip.Addr]TTLRange{client: {Min: 255, Max: 255}}),
			pkt: hops(pkt(v3, director), 1)},
		{name: "unicast ttl after the peer check", filter: func() ReceiveFilter {
			f := unicast(map[netip.Addr]TTLRange{peer: {Min: 255, Max: 255}})
			f.Peers = []netip.Addr{client}
			return f
		}(), pkt: hops(pkt(v3, director), 1), drop: DropUnknownPeer},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.filter.Check(tt.pkt)
			if diff := cmp.Diff(tt.drop, got.Drop); diff != "" {
				t.Errorf("drop (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.notes, got.Notes); diff != "" {
				t.Errorf("notes (-want +got):\n%s", diff)
			}
			if got.Drop == DropNone && got.Advert.VRID != 51 {
				t.Errorf("accepted advert has VRID %d", got.Advert.VRID)
			}
		})
	}
}

func TestMarshalErrors(t *testing.T) {
	v6 := netip.MustParseAddr("fe80::1")
	ok := Advertisement{Version: 3, Type: TypeAdvertisement, VRID: 1, Priority: 100,
		Interval: time.Second, Addrs: []netip.Addr{vip22}}
	tests := []struct {
		name     string
		mod      func(*Advertisement)
		src, dst netip.Addr
	}{
		{name: "version", mod: func(a *Advertisement) { a.Version = 4 }, src: director, dst: MulticastIPv4},
		{name: "v2 over IPv6", mod: func(a *Advertisement) { a.Version = 2; a.Addrs = []netip.Addr{v6} }, src: v6, dst: MulticastIPv6},
		{name: "mixed families", mod: func(*Advertisement) {}, src: director, dst: MulticastIPv6},
		{name: "address of other family", mod: func(a *Advertisement) { a.Addrs = []netip.Addr{v6} }, src: director, dst: MulticastIPv4},
		{name: "v2 fractional interval", mod: func(a *Advertisement) { a.Version = 2; a.Interval = 1500 * time.Millisecond }, src: director, dst: MulticastIPv4},
		{name: "v3 interval too long", mod: func(a *Advertisement) { a.Interval = 41 * time.Second }, src: director, dst: MulticastIPv4},
		{name: "v3 sub-centisecond", mod: func(a *Advertisement) { a.Interval = 15 * time.Millisecond }, src: director, dst: MulticastIPv4},
		{name: "type overflow", mod: func(a *Advertisement) { a.Type = 16 }, src: director, dst: MulticastIPv4},
		{name: "invalid source", mod: func(*Advertisement) {}, dst: MulticastIPv4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := ok
			tt.mod(&a)
			if _, err := a.Marshal(tt.src, tt.dst, CodecOptions{}); !errors.Is(err, ErrMarshal) {
				t.Errorf("Marshal error = %v, want ErrMarshal", err)
			}
		})
	}
}

func TestDropReasonStrings(t *testing.T) {
	seen := map[string]bool{}
	for _, r := range DropReasons() {
		s := r.String()
		if s == "" || seen[s] || s == DropNone.String() {
			t.Errorf("reason %d has a missing or duplicate name %q", r, s)
		}
		seen[s] = true
	}
	if got := DropReason(200).String(); got != "reason(200)" {
		t.Errorf("unknown reason = %q", got)
	}
}

func TestCheckInterval(t *testing.T) {
	tests := []struct {
		name    string
		version int
		d       time.Duration
		wantErr bool
	}{
		{"v2 one second", 2, time.Second, false},
		{"v2 255 s", 2, 255 * time.Second, false},
		{"v2 fraction", 2, 1500 * time.Millisecond, true},
		{"v2 zero", 2, 0, true},
		{"v2 256 s", 2, 256 * time.Second, true},
		{"v3 10ms", 3, 10 * time.Millisecond, false},
		{"v3 40.95s", 3, 40950 * time.Millisecond, false},
		{"v3 5ms", 3, 5 * time.Millisecond, true},
		{"v3 15ms", 3, 15 * time.Millisecond, true},
		{"v3 41s", 3, 41 * time.Second, true},
		{"v4", 4, time.Second, true},
	}
	for _, tt := range tests {
		if err := CheckInterval(tt.version, tt.d); (err != nil) != tt.wantErr {
			t.Errorf("%s: CheckInterval(%d, %v) = %v, want error %v", tt.name, tt.version, tt.d, err, tt.wantErr)
		}
	}
}
