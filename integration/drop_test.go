//go:build integration

package integration

import (
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/halvs/halvs/vrrp"
	"golang.org/x/net/ipv4"
)

// inject sends payload as IP protocol 112 from the client to 224.0.0.18 with the given TTL,
// as a rogue or broken router on the segment would.
func inject(t *testing.T, lab *Lab, ttl int, payload []byte) {
	t.Helper()
	lab.Client.NS.MustDo(func() error {
		c, err := net.ListenPacket("ip4:112", lab.Client.Addr4.String())
		if err != nil {
			return err
		}
		defer c.Close()
		ifi, err := net.InterfaceByName(lab.Client.If)
		if err != nil {
			return err
		}
		pc := ipv4.NewPacketConn(c)
		if err := pc.SetMulticastInterface(ifi); err != nil {
			return err
		}
		if err := pc.SetMulticastTTL(ttl); err != nil {
			return err
		}
		_, err = pc.WriteTo(payload, nil, &net.IPAddr{IP: vrrp.MulticastIPv4.AsSlice()})
		return err
	})
}

// rogueAdvert is a VRRPv2 advert for the seed's instance (VRID 51, PASS 1111) with priority
// 254, from the client: if the master accepted it, it would step down at once.
func rogueAdvert(t *testing.T, lab *Lab) []byte {
	t.Helper()
	a := vrrp.Advertisement{Version: 2, Type: vrrp.TypeAdvertisement, VRID: 51, Priority: 254,
		AuthType: vrrp.AuthPass, AuthData: vrrp.PassAuthData("1111"), Interval: time.Second,
		Addrs: []netip.Addr{VIP4}}
	b, err := a.Marshal(lab.Client.Addr4, vrrp.MulticastIPv4, vrrp.CodecOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestDropsBadAdverts injects a higher-priority advert with TTL 64, one with a broken
// checksum and a truncated one at a master: it keeps the VIP and reports each drop with its
// reason (halvs: counted in its status; keepalived: logged). The same advert with TTL 255 and a good checksum then does make it step down, which
// proves the injected packets reach it.
func TestDropsBadAdverts(t *testing.T) {
	forEachImpl(t, func(t *testing.T, impl Impl) {
		p := newPair(t, VIP4, impl)
		mark := p.obs.Mark()
		var extra []string
		if impl == Halvs {
			extra = []string{"--log-level", "debug"} // debug logs every dropped advert
		}
		d := p.start(impl, p.lab.A, seed(150), extra...)
		p.expectMaster(mark, p.lab.A, 10*time.Second, 0)

		good := rogueAdvert(t, p.lab)
		badSum := append([]byte(nil), good...)
		badSum[6] ^= 0xff // the checksum is bytes 6-7
		cases := []struct {
			name    string
			ttl     int
			payload []byte
			reason  vrrp.DropReason
		}{
			{"ttl 64", 64, good, vrrp.DropTTL},
			{"bad checksum", 255, badSum, vrrp.DropChecksum},
			{"truncated", 255, good[:6], vrrp.DropLength},
		}
		for _, c := range cases {
			for i := 0; i < 3; i++ {
				inject(t, p.lab, c.ttl, c.payload)
			}
		}
		p.holdsAlone(p.lab.A, 2*time.Second)
		// halvs counts each drop by reason in its status (and logs it at debug level);
		// keepalived only logs them.
		var st *HalvsStatus
		if impl == Halvs {
			got, err := d.Status()
			if err != nil {
				t.Fatal(err)
			}
			st = &got
		}
		out := d.Output()
		for _, c := range cases {
			switch {
			case st != nil:
				if got := statusDrops(*st, c.reason.String()); got < 3 {
					t.Errorf("%s: halvs status counts %d drops for reason %s, want at least 3", c.name, got, c.reason)
				}
				if n := halvsLogged(out, c.reason); n < 3 {
					t.Errorf("%s: halvs logged %d dropped adverts with reason %s, want at least 3", c.name, n, c.reason)
				}
			case c.reason == vrrp.DropLength:
				// keepalived 2.2.7 drops a truncated message without a word.
			case !keepalivedLogged(out, c.reason):
				t.Errorf("%s: keepalived logged no drop for reason %s (its output follows at cleanup)", c.name, c.reason)
			}
		}

		// The control: a well-formed advert with TTL 255 is accepted and wins.
		inject(t, p.lab, 255, good)
		deadline := time.Now().Add(2 * time.Second)
		for p.lab.A.HasAddr(p.vip) {
			if time.Now().After(deadline) {
				t.Fatalf("A ignored a valid priority-254 advert too: the injected packets do not reach it")
			}
			time.Sleep(20 * time.Millisecond)
		}
	})
}

// halvsLogged counts halvs' "advert dropped" log lines with reason (text or JSON format).
func halvsLogged(log string, reason vrrp.DropReason) int {
	n := 0
	for _, line := range strings.Split(log, "\n") {
		if strings.Contains(line, "advert dropped") && (strings.Contains(line, "reason="+reason.String()) ||
			strings.Contains(line, `"reason":"`+reason.String()+`"`)) {
			n++
		}
	}
	return n
}

// keepalivedLogged reports whether keepalived's log shows a dropped advert for reason
// (its sentences from keepalived/vrrp/vrrp.c).
func keepalivedLogged(log string, reason vrrp.DropReason) bool {
	words := map[vrrp.DropReason]string{
		vrrp.DropTTL:      "invalid TTL/HL",
		vrrp.DropChecksum: "Invalid VRRPv2 checksum",
	}[reason]
	return words != "" && strings.Contains(log, words)
}
