package vrrp

import (
	"net/netip"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/halvs/halvs/vrrp/vrrptest"
)

// TestUnicastTTLOpensTransport: unicast_ttl reaches the Transport the Router opens (its
// TransportKey), 255 when not set; a multicast instance's key carries none.
func TestUnicastTTLOpensTransport(t *testing.T) {
	unicast := func(ttl uint8) InstanceConfig {
		c := vi1(100)
		c.UnicastPeers, c.UnicastTTL = []netip.Addr{hostB}, ttl
		return c
	}
	tests := []struct {
		name string
		cfg  InstanceConfig
		want TransportKey
	}{
		{name: "multicast", cfg: vi1(100), want: TransportKey{Dev: "eth0"}},
		{name: "unicast default", cfg: unicast(0), want: TransportKey{Dev: "eth0", Unicast: true, TTL: 255}},
		{name: "unicast_ttl", cfg: unicast(64), want: TransportKey{Dev: "eth0", Unicast: true, TTL: 64}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := newLab(t)
			var got []TransportKey
			r, err := NewRouter(Deps{
				Addresser: &vrrptest.Addresser{}, Announcer: &vrrptest.Announcer{}, Clock: l.clock, Logger: testLogger(t),
				OpenTransport: func(k TransportKey) (Transport, error) {
					got = append(got, k)
					return l.seg.Port(hostA), nil
				},
			})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(r.Shutdown)
			if err := r.Apply([]InstanceConfig{tt.cfg}, nil); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff([]TransportKey{tt.want}, got, cmp.Comparer(func(a, b netip.Addr) bool { return a == b })); diff != "" {
				t.Errorf("transports opened (-want +got):\n%s", diff)
			}
		})
	}
}
