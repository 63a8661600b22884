package healthcheck

import (
	"errors"
	"net/netip"
	"testing"
	"time"
)

func TestPingCheck(t *testing.T) {
	for _, ip := range loopbacks(t) {
		t.Run(ip.String(), func(t *testing.T) {
			r := check(t, PingSpec{ConnectTimeout: 2 * time.Second}, netip.AddrPortFrom(ip, 0))
			if errors.Is(r.Err, ErrICMPNotPermitted) {
				t.Skip("ICMP sockets not permitted here (ping_group_range, no CAP_NET_RAW)")
			}
			if !r.OK {
				t.Errorf("ping %v: %v", ip, r.Err)
			}
		})
	}
}
