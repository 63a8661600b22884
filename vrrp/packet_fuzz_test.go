package vrrp

import (
	"bytes"
	"net/netip"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// FuzzUnmarshalMarshal checks that whatever Unmarshal accepts, Marshal encodes back to the
// same message (less Ethernet padding and the v3 reserved bits, which receivers ignore) and
// that decoding that again gives the same Advertisement.
func FuzzUnmarshalMarshal(f *testing.F) {
	for _, name := range []string{
		"keepalived-v2-advert.hex", "keepalived-v2-pass-advert.hex", "keepalived-v2-prio0.hex",
		"keepalived-v3-advert.hex", "keepalived-v3-prio0.hex", "keepalived-v3-unicast-advert.hex",
		"keepalived-v3-ipv6-advert.hex",
	} {
		p := stripHeaders(f, readFrame(f, name))
		f.Add(p.Payload, p.Src.AsSlice(), p.Dst.AsSlice(), false)
	}
	// Edge cases: no addresses, 255 addresses claimed, padding, checksum-as-v2.
	f.Add([]byte{0x31, 1, 255, 0, 0, 0, 0, 0}, director.AsSlice(), MulticastIPv4.AsSlice(), true)
	f.Add([]byte{0x21, 1, 100, 255, 0, 1, 0, 0}, director.AsSlice(), MulticastIPv4.AsSlice(), false)
	f.Add(append(bytes.Repeat([]byte{0}, 12), 0, 0), director.AsSlice(), client.AsSlice(), false)

	f.Fuzz(func(t *testing.T, b, srcB, dstB []byte, asV2 bool) {
		src, ok1 := netip.AddrFromSlice(srcB)
		dst, ok2 := netip.AddrFromSlice(dstB)
		if !ok1 || !ok2 {
			return
		}
		opts := CodecOptions{V3ChecksumAsV2: asV2}
		a, err := Unmarshal(b, src, dst, opts)
		if err != nil {
			return
		}
		m, err := a.Marshal(src.Unmap(), dst.Unmap(), opts)
		if err != nil {
			t.Fatalf("Marshal of decoded %+v: %v", a, err)
		}
		a2, err := Unmarshal(m, src, dst, opts)
		if err != nil {
			t.Fatalf("Unmarshal of re-encoded message: %v", err)
		}
		if diff := cmp.Diff(a, a2, cmpNet); diff != "" {
			t.Fatalf("round trip (-first +second):\n%s", diff)
		}
		want := bytes.Clone(b[:len(m)])
		if a.Version == 3 {
			want[4] &= 0x0f // reserved bits are not re-encoded
			if want[4] != b[4] {
				return // the checksum covered the reserved bits
			}
		}
		if !bytes.Equal(want, m) {
			t.Fatalf("re-encoded\n%x, want\n%x", m, want)
		}
	})
}
