//go:build vmtest

package vm

import (
	"fmt"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/net/bpf"
	"golang.org/x/sys/unix"
)

// advertCapture records every VRRP advert crossing one namespace's eth0 with the kernel's
// timestamp (SO_TIMESTAMPNS): those the host sent, stamped as they left for the link, and
// those it received, stamped as they arrived. Captures in two directors' namespaces run on
// the one guest clock, so they say whether a late advert left the master late or reached
// the backup late, and what the backup had received when it took the VIP.
type advertCapture struct {
	ns   string
	fd   int
	stop chan struct{}
	done chan struct{}

	mu   sync.Mutex
	seen []advertSeen
}

// advertSeen is one advert as a capture saw it.
type advertSeen struct {
	at   time.Time
	out  bool // sent by the capturing host
	src  netip.Addr
	prio uint8
}

// vrrpOnly is a classic BPF program for an AF_PACKET SOCK_DGRAM socket (offset 0 is the
// network header in both directions): IPv4 protocol 112, everything else dropped in the
// kernel, so that the HTTP loop's packets cost the capture nothing.
var vrrpOnly = []bpf.Instruction{
	bpf.LoadExtension{Num: bpf.ExtProto},
	bpf.JumpIf{Cond: bpf.JumpEqual, Val: unix.ETH_P_IP, SkipFalse: 3},
	bpf.LoadAbsolute{Off: 9, Size: 1},
	bpf.JumpIf{Cond: bpf.JumpEqual, Val: 112, SkipFalse: 1},
	bpf.RetConstant{Val: 256},
	bpf.RetConstant{Val: 0},
}

// captureAdverts starts capturing on h's eth0 until the test ends.
func captureAdverts(t *testing.T, h host) *advertCapture {
	t.Helper()
	c := &advertCapture{ns: h.ns, stop: make(chan struct{}), done: make(chan struct{})}
	err := inNamespace(h.ns, func() error {
		fd, err := openPacketSocket("eth0", unix.SOCK_DGRAM, vrrpOnly)
		c.fd = fd
		return err
	})
	if err != nil {
		t.Fatalf("capturing VRRP on %s: %v", h.ns, err)
	}
	go c.run()
	t.Cleanup(c.close)
	return c
}

func htons(v uint16) uint16 { return v<<8 | v>>8 }

func (c *advertCapture) run() {
	defer close(c.done)
	defer unix.Close(c.fd)
	buf := make([]byte, 2048)
	oob := make([]byte, 128)
	for {
		select {
		case <-c.stop:
			return
		default:
		}
		n, oobn, _, from, err := unix.Recvmsg(c.fd, buf, oob, 0)
		if err != nil {
			continue // the timeout (EAGAIN), EINTR; a closed link only stops the adverts
		}
		at := kernelStamp(oob[:oobn])
		ll, _ := from.(*unix.SockaddrLinklayer)
		b := buf[:n]
		if len(b) < 20 || ll == nil {
			continue
		}
		ihl := int(b[0]&0x0f) * 4
		if len(b) < ihl+3 {
			continue
		}
		src, _ := netip.AddrFromSlice(b[12:16])
		c.mu.Lock()
		c.seen = append(c.seen, advertSeen{at: at, out: ll.Pkttype == unix.PACKET_OUTGOING, src: src, prio: b[ihl+2]})
		c.mu.Unlock()
	}
}

func (c *advertCapture) close() {
	select {
	case <-c.stop:
	default:
		close(c.stop)
	}
	<-c.done
}

// adverts returns the adverts seen from src (sent when out, else received) in [from, to).
func (c *advertCapture) adverts(src netip.Addr, out bool, from, to time.Time) []advertSeen {
	c.mu.Lock()
	defer c.mu.Unlock()
	var got []advertSeen
	for _, a := range c.seen {
		if a.src == src && a.out == out && !a.at.Before(from) && a.at.Before(to) {
			got = append(got, a)
		}
	}
	return got
}

// gap is the largest interval between consecutive adverts and where it ended.
type gap struct {
	d     time.Duration
	after advertSeen // the advert that ended it
}

func largestGap(adverts []advertSeen) gap {
	var g gap
	for i := 1; i < len(adverts); i++ {
		if d := adverts[i].at.Sub(adverts[i-1].at); d > g.d {
			g = gap{d: d, after: adverts[i]}
		}
	}
	return g
}

// timeline is a few lines saying what the captures saw of src's adverts in [from, to): on
// the sender's (those it sent) and on the others' (those they received), with the largest
// gap on each.
func timeline(src netip.Addr, sender string, caps []*advertCapture, from, to time.Time) string {
	var sb strings.Builder
	for _, c := range caps {
		out := c.ns == sender
		ads := c.adverts(src, out, from, to)
		if len(ads) == 0 && out {
			continue // a capture of the sender's namespace before a rebuild
		}
		g := largestGap(ads)
		dir := "received on " + c.ns
		if out {
			dir = "sent by " + c.ns
		}
		fmt.Fprintf(&sb, "  %s's adverts %s: %d, largest gap %v", src, dir, len(ads), g.d.Round(time.Millisecond))
		if g.d > 0 {
			fmt.Fprintf(&sb, " (ending %s)", g.after.at.Format("15:04:05.000"))
		}
		if len(ads) > 6 {
			ads = ads[len(ads)-6:]
		}
		var at []string
		for _, a := range ads {
			at = append(at, fmt.Sprintf("%s/p%d", a.at.Format("05.000"), a.prio))
		}
		fmt.Fprintf(&sb, "; last: %s\n", strings.Join(at, " "))
	}
	return sb.String()
}

// explainTakeovers logs, for each time director d entered MASTER since since, what the
// captures saw of the adverts of sender (a director) in the second before.
func explainTakeovers(t *testing.T, d *halvsd, since time.Time, sender host, caps []*advertCapture, stalls *stallProbe) {
	t.Helper()
	for _, e := range d.entries() {
		if e.at.Before(since) || !strings.Contains(e.line, stateWords("MASTER")[0]) {
			continue
		}
		from, to := e.at.Add(-time.Second), e.at.Add(100*time.Millisecond)
		t.Logf("director %s MASTER at %s (%s):\n%s  the test process stalled: %s", d.name, e.at.Format("15:04:05.000"), e.line,
			timeline(sender.addr, sender.ns, caps, from, to), stalls.in(from, to))
	}
}

// stallProbe is a goroutine of the test process that sleeps 5 ms at a time and records each
// wake-up later than 50 ms: the stretches in which the guest ran nobody's user space (the
// one emulated CPU busy elsewhere), to compare with a director's late adverts.
type stallProbe struct {
	stop chan struct{}
	done chan struct{}

	mu     sync.Mutex
	stalls []stall
}

type stall struct {
	from time.Time
	d    time.Duration
}

func probeStalls(t *testing.T) *stallProbe {
	p := &stallProbe{stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(p.done)
		last := time.Now()
		for {
			select {
			case <-p.stop:
				return
			case <-time.After(5 * time.Millisecond):
			}
			now := time.Now()
			if d := now.Sub(last); d > 50*time.Millisecond {
				p.mu.Lock()
				p.stalls = append(p.stalls, stall{from: last, d: d})
				p.mu.Unlock()
			}
			last = now
		}
	}()
	t.Cleanup(func() { close(p.stop); <-p.done })
	return p
}

// in lists the stalls overlapping [from, to).
func (p *stallProbe) in(from, to time.Time) string {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []string
	for _, s := range p.stalls {
		if s.from.Before(to) && s.from.Add(s.d).After(from) {
			out = append(out, fmt.Sprintf("%s+%v", s.from.Format("05.000"), s.d.Round(time.Millisecond)))
		}
	}
	return strings.Join(out, " ")
}
