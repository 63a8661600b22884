package vrrp

import (
	"bufio"
	"encoding/binary"
	"encoding/hex"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// readFrame returns the Ethernet frame on the last non-comment line of a golden file
// (testdata/keepalived, copied from shared/testdata/vrrp: captures of keepalived 2.2.7).
func readFrame(t testing.TB, name string) []byte {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", "keepalived", name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var last string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if l := strings.TrimSpace(sc.Text()); l != "" && !strings.HasPrefix(l, "#") {
			last = l
		}
	}
	frame, err := hex.DecodeString(last)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return frame
}

// stripHeaders takes the Ethernet and IP headers off a frame holding a VRRP message.
func stripHeaders(t testing.TB, frame []byte) Packet {
	t.Helper()
	const eth = 14
	switch binary.BigEndian.Uint16(frame[12:14]) {
	case 0x0800:
		ip := frame[eth:]
		ihl := int(ip[0]&0x0f) * 4
		total := int(binary.BigEndian.Uint16(ip[2:4]))
		if ip[9] != Protocol {
			t.Fatalf("IPv4 protocol %d, want %d", ip[9], Protocol)
		}
		return Packet{
			Src:      netip.AddrFrom4([4]byte(ip[12:16])),
			Dst:      netip.AddrFrom4([4]byte(ip[16:20])),
			HopLimit: int(ip[8]),
			Payload:  ip[ihl:total],
		}
	case 0x86dd:
		ip := frame[eth:]
		plen := int(binary.BigEndian.Uint16(ip[4:6]))
		if ip[6] != Protocol {
			t.Fatalf("IPv6 next header %d, want %d", ip[6], Protocol)
		}
		return Packet{
			Src:      netip.AddrFrom16([16]byte(ip[8:24])),
			Dst:      netip.AddrFrom16([16]byte(ip[24:40])),
			HopLimit: int(ip[7]),
			Payload:  ip[40 : 40+plen],
		}
	}
	t.Fatalf("frame is not IPv4 or IPv6")
	return Packet{}
}

var (
	director = netip.MustParseAddr("10.10.10.30")
	client   = netip.MustParseAddr("10.10.10.100")
	vip22    = netip.MustParseAddr("10.10.10.22")
)

func TestGoldenKeepalived(t *testing.T) {
	tests := []struct {
		file     string
		src, dst netip.Addr
		want     Advertisement
	}{
		{
			file: "keepalived-v2-advert.hex", src: director, dst: MulticastIPv4,
			want: Advertisement{Version: 2, Type: TypeAdvertisement, VRID: 51, Priority: 150,
				AuthType: AuthNone, Interval: time.Second, Addrs: []netip.Addr{vip22}},
		},
		{
			file: "keepalived-v2-pass-advert.hex", src: director, dst: MulticastIPv4,
			want: Advertisement{Version: 2, Type: TypeAdvertisement, VRID: 51, Priority: 150,
				AuthType: AuthPass, AuthData: PassAuthData("1111"), Interval: time.Second,
				Addrs: []netip.Addr{vip22}},
		},
		{
			file: "keepalived-v2-prio0.hex", src: director, dst: MulticastIPv4,
			want: Advertisement{Version: 2, Type: TypeAdvertisement, VRID: 51, Priority: 0,
				AuthType: AuthNone, Interval: time.Second, Addrs: []netip.Addr{vip22}},
		},
		{
			file: "keepalived-v3-advert.hex", src: director, dst: MulticastIPv4,
			want: Advertisement{Version: 3, Type: TypeAdvertisement, VRID: 51, Priority: 150,
				Interval: time.Second, Addrs: []netip.Addr{vip22}},
		},
		{
			file: "keepalived-v3-prio0.hex", src: director, dst: MulticastIPv4,
			want: Advertisement{Version: 3, Type: TypeAdvertisement, VRID: 51, Priority: 0,
				Interval: time.Second, Addrs: []netip.Addr{vip22}},
		},
		{
			file: "keepalived-v3-unicast-advert.hex", src: director, dst: client,
			want: Advertisement{Version: 3, Type: TypeAdvertisement, VRID: 53, Priority: 150,
				Interval: time.Second, Addrs: []netip.Addr{netip.MustParseAddr("10.10.10.23")}},
		},
		{
			file: "keepalived-v3-ipv6-advert.hex",
			src:  netip.MustParseAddr("fe80::aff:fe0a:a1e"), dst: MulticastIPv6,
			want: Advertisement{Version: 3, Type: TypeAdvertisement, VRID: 52, Priority: 150,
				Interval: 100 * time.Millisecond,
				Addrs:    []netip.Addr{netip.MustParseAddr("fe80::5:2"), netip.MustParseAddr("fd00::22")}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			p := stripHeaders(t, readFrame(t, tt.file))
			if p.Src != tt.src || p.Dst != tt.dst || p.HopLimit != TTL {
				t.Fatalf("IP header: %v > %v hop limit %d; want %v > %v 255", p.Src, p.Dst, p.HopLimit, tt.src, tt.dst)
			}
			got, err := Unmarshal(p.Payload, p.Src, p.Dst, CodecOptions{})
			if err != nil {
				t.Fatalf("Unmarshal: %v", err)
			}
			if diff := cmp.Diff(tt.want, got, cmpNet); diff != "" {
				t.Errorf("Unmarshal (-want +got):\n%s", diff)
			}
			enc, err := tt.want.Marshal(p.Src, p.Dst, CodecOptions{})
			if err != nil {
				t.Fatalf("Marshal: %v", err)
			}
			if diff := cmp.Diff(hex.EncodeToString(p.Payload), hex.EncodeToString(enc)); diff != "" {
				t.Errorf("Marshal bytes (-want +got):\n%s", diff)
			}

			// The whole receive path accepts it for an instance configured to match.
			f := ReceiveFilter{Version: tt.want.Version, VRID: tt.want.VRID,
				AuthType: tt.want.AuthType, AuthData: tt.want.AuthData,
				Interval: tt.want.Interval, VIPs: tt.want.Addrs}
			if !tt.dst.IsMulticast() {
				f.Peers = []netip.Addr{tt.src}
			}
			r := f.Check(p)
			if r.Drop != DropNone || len(r.Notes) != 0 {
				t.Errorf("Check: drop %v notes %v, want accepted", r.Drop, r.Notes)
			}
		})
	}
}

// keepalived's default v3 IPv4 checksum includes the pseudo-header, so a receiver set to
// v3_checksum_as_v2 rejects its adverts, and an advert encoded that way differs.
func TestGoldenV3ChecksumAsV2(t *testing.T) {
	p := stripHeaders(t, readFrame(t, "keepalived-v3-advert.hex"))
	opts := CodecOptions{V3ChecksumAsV2: true}
	_, err := Unmarshal(p.Payload, p.Src, p.Dst, opts)
	if de, ok := err.(*DecodeError); !ok || de.Reason != DropChecksum {
		t.Fatalf("Unmarshal with V3ChecksumAsV2 = %v, want checksum error", err)
	}
	a, err := Unmarshal(p.Payload, p.Src, p.Dst, CodecOptions{})
	if err != nil {
		t.Fatal(err)
	}
	enc, err := a.Marshal(p.Src, p.Dst, opts)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Unmarshal(enc, p.Src, p.Dst, opts); err != nil {
		t.Errorf("round trip with V3ChecksumAsV2: %v", err)
	}
	// The message-only checksum of 31 33 96 01 00 64 .... 0a 0a 0a 16.
	if got, want := binary.BigEndian.Uint16(enc[6:8]), uint16(0x2447); got != want {
		t.Errorf("checksum %#04x, want %#04x", got, want)
	}
}

// The non-VRRP captures are ARP and ICMPv6 frames; the test reads them to make sure the
// golden set is what the README says and nothing is silently skipped.
func TestGoldenNonVRRPFrames(t *testing.T) {
	for _, name := range []string{"keepalived-v2-garp.hex", "keepalived-v3-garp.hex", "keepalived-v3-ipv6-na.hex"} {
		frame := readFrame(t, name)
		et := binary.BigEndian.Uint16(frame[12:14])
		if et != 0x0806 && !(et == 0x86dd && frame[14+6] == 58) {
			t.Errorf("%s: ethertype %#04x, want ARP or ICMPv6", name, et)
		}
	}
}
