package vrrp

import (
	"net/netip"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestAppendMarshalAppendsWhatMarshalEncodes(t *testing.T) {
	v4 := Advertisement{Version: 3, Type: TypeAdvertisement, VRID: 51, Priority: 200, Interval: 20 * time.Millisecond,
		Addrs: []netip.Addr{netip.MustParseAddr("10.10.10.22"), netip.MustParseAddr("10.10.10.23")}}
	v2 := Advertisement{Version: 2, Type: TypeAdvertisement, VRID: 7, Priority: 100, Interval: time.Second,
		AuthType: AuthPass, AuthData: PassAuthData("secret"), Addrs: []netip.Addr{netip.MustParseAddr("10.10.10.22")}}
	group := netip.MustParseAddr("224.0.0.18")
	tests := []struct {
		name   string
		a      Advertisement
		prefix []byte
	}{
		{name: "v3 into nil", a: v4},
		{name: "v3 after bytes", a: v4, prefix: []byte{0xde, 0xad, 0xbe, 0xef}},
		// The buffer reused holds old bytes (0xff) past the prefix: the message must not
		// depend on them.
		{name: "v2 over a longer message", a: v2, prefix: []byte{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			want, err := tc.a.Marshal(hostA, group, CodecOptions{})
			if err != nil {
				t.Fatal(err)
			}
			buf := append(tc.prefix, make([]byte, 64)...)
			for i := range buf {
				buf[i] = 0xff
			}
			buf = append(buf[:0], tc.prefix...)
			got, err := tc.a.AppendMarshal(buf, hostA, group, CodecOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(append(append([]byte(nil), tc.prefix...), want...), got); diff != "" {
				t.Errorf("AppendMarshal (-want +got):\n%s", diff)
			}
		})
	}
}
