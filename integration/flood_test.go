//go:build integration

package integration

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/halvs/halvs/vrrp"
	"golang.org/x/net/ipv4"
)

// TestFloodOfLowerPriorityAdverts: for five seconds the client sends valid lower-priority
// adverts (the seed's VRID and PASS password, which the wire shows to anyone) as fast as one
// goroutine can, at a halvs MASTER with a halvs BACKUP beside it. The directors answer at
// most once per advert interval: the frames they send stay within a few bursts per interval,
// not one burst per forged advert; the master's memory stays bounded, and its log too.
// `halvs failover`, asked in the middle of the flood, hands over within its normal time.
func TestFloodOfLowerPriorityAdverts(t *testing.T) {
	RequireImpl(t, Halvs)
	lab := NewLab(t)
	in := seed(150).withDefaults()
	a := StartDirector(t, Halvs, lab.A, lab.B, in)
	b := StartDirector(t, Halvs, lab.B, lab.A, seed(100))
	for _, d := range []*Director{a, b} {
		if err := d.WaitReady(10 * time.Second); err != nil {
			t.Fatal(err)
		}
	}
	waitState(t, a, "MASTER", 10*time.Second)
	waitState(t, b, "BACKUP", 10*time.Second)
	time.Sleep(time.Second) // past the takeover's first GARP burst

	const (
		flood      = 5 * time.Second
		failoverAt = 2 * time.Second
		after      = time.Second // frames still going out after the flood count too
		garpRepeat = vrrp.DefaultGARPRepeat
	)
	// Per advert interval each director sends at most its own advert and one answer to the
	// flood (an advert and a GARP burst per VIP); twice that covers B's takeover bursts, A's
	// priority 0 and the odd IPv6 housekeeping frame. Unlimited, it is a burst per advert.
	intervals := int((flood+after)/in.Interval) + 1
	maxFrames := uint64(2 * 2 * intervals * (2 + garpRepeat*len(in.VIPs)))
	const maxRSSGrowthKB = 15 << 10 // unlimited, the backlog grew it by 22 MB here

	txA, txB := txPackets(t, lab.A), txPackets(t, lab.B)
	rss := &rssWatch{pid: a.PID()}
	rss.sample(t)
	stop := make(chan struct{})
	var sent atomic.Uint64
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); sent.Store(floodAdverts(t, lab, 50, stop)) }()
	go func() {
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			case <-time.After(50 * time.Millisecond):
				rss.sample(t)
			}
		}
	}()

	time.Sleep(failoverAt)
	start := time.Now()
	out, err := failover(a, 10*time.Second)
	took := time.Since(start)
	time.Sleep(flood - failoverAt - took)
	close(stop)
	wg.Wait()
	time.Sleep(after)
	rss.sample(t)
	frames := txPackets(t, lab.A) - txA + txPackets(t, lab.B) - txB

	t.Logf("flood: %d adverts in %v; directors sent %d frames; halvs failover took %v; master's RSS %d → %d kB (max)",
		sent.Load(), flood, frames, took.Round(time.Millisecond), rss.first, rss.max)
	if sent.Load() < 10_000 {
		t.Fatalf("only %d adverts sent in %v: too few for a flood", sent.Load(), flood)
	}
	// Normal time: the peer takes over Skew_Time (0.6 s) after the priority-0 advert.
	if err != nil || took > 5*time.Second {
		t.Errorf("halvs failover during the flood: %v after %v, want success within 5s\n%s", err, took.Round(time.Millisecond), out)
	}
	if frames > maxFrames {
		t.Errorf("the directors sent %d frames during a %v flood, want at most %d (%d intervals of %v)", frames, flood, maxFrames, intervals, in.Interval)
	}
	if grew := rss.max - rss.first; grew > maxRSSGrowthKB {
		t.Errorf("master's RSS grew by %d kB during the flood, want at most %d kB", grew, maxRSSGrowthKB)
	}
	waitState(t, b, "MASTER", 5*time.Second)
	if !lab.B.HasAddr(VIP4) || lab.A.HasAddr(VIP4) {
		t.Errorf("after the failover: VIP on A %v, on B %v; want on B only", lab.A.HasAddr(VIP4), lab.B.HasAddr(VIP4))
	}

	// The flood shows in the counters, and in few log lines.
	var limited uint64
	for _, d := range []*Director{a, b} {
		st, err := d.Status()
		if err != nil {
			t.Fatal(err)
		}
		for _, i := range st.Instances {
			limited += i.Counters.RepliesLimited
		}
		if n := strings.Count(d.Output(), "re-announcing"); n > 10 {
			t.Errorf("%s logged %d re-announcements, want them rate-limited", d.Node.Name, n)
		}
	}
	if limited == 0 {
		t.Error("no limited replies counted in the directors' status")
	}
}

// floodAdverts sends VRRPv2 adverts for the seed's instance with priority prio from the
// client, as fast as it can, until stop closes; it returns how many it sent.
func floodAdverts(t *testing.T, lab *Lab, prio uint8, stop <-chan struct{}) uint64 {
	adv := vrrp.Advertisement{Version: 2, Type: vrrp.TypeAdvertisement, VRID: 51, Priority: prio,
		AuthType: vrrp.AuthPass, AuthData: vrrp.PassAuthData("1111"), Interval: time.Second,
		Addrs: []netip.Addr{VIP4}}
	msg, err := adv.Marshal(lab.Client.Addr4, vrrp.MulticastIPv4, vrrp.CodecOptions{})
	if err != nil {
		t.Error(err)
		return 0
	}
	var pc *ipv4.PacketConn
	err = lab.Client.NS.Do(func() error {
		c, err := net.ListenPacket("ip4:112", lab.Client.Addr4.String())
		if err != nil {
			return err
		}
		ifi, err := net.InterfaceByName(lab.Client.If)
		if err == nil {
			pc = ipv4.NewPacketConn(c)
			err = pc.SetMulticastInterface(ifi)
		}
		if err == nil {
			err = pc.SetMulticastTTL(255)
		}
		if err != nil {
			c.Close()
		}
		return err
	})
	if err != nil {
		t.Error(err)
		return 0
	}
	defer pc.Close()
	dst := &net.IPAddr{IP: vrrp.MulticastIPv4.AsSlice()}
	var n uint64
	for {
		select {
		case <-stop:
			return n
		default:
		}
		if _, err := pc.WriteTo(msg, nil, dst); err == nil {
			n++
		}
	}
}

// failover runs `halvs failover` against d's control socket.
func failover(d *Director, timeout time.Duration) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout+5*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, HalvsBinary(), "failover", "--timeout", timeout.String(),
		"--socket", filepath.Join(d.RunDir, "halvs.sock"))
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return out.String(), err
}

// waitState waits until d's only instance is in state.
func waitState(t *testing.T, d *Director, state string, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		st, err := d.Status()
		if err == nil && len(st.Instances) == 1 && st.Instances[0].State == state {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s not %s after %v: %+v %v", d.Node.Name, state, timeout, st.Instances, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// txPackets is the number of frames n's interface has sent, as the kernel counts them.
func txPackets(t *testing.T, n *Node) uint64 {
	t.Helper()
	link, err := n.NS.Handle.LinkByName(n.If)
	if err != nil {
		t.Fatal(err)
	}
	if link.Attrs().Statistics == nil {
		t.Fatalf("%s: no link statistics", n.If)
	}
	return link.Attrs().Statistics.TxPackets
}

// rssWatch follows a process's resident set size (VmRSS, in kB).
type rssWatch struct {
	pid        int
	mu         sync.Mutex
	first, max uint64
}

func (w *rssWatch) sample(t *testing.T) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", w.pid))
	if err != nil {
		t.Error(err)
		return
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		fields := strings.Fields(s.Text())
		if len(fields) < 2 || fields[0] != "VmRSS:" {
			continue
		}
		kb, err := strconv.ParseUint(fields[1], 10, 64)
		if err != nil {
			t.Error(err)
			return
		}
		w.mu.Lock()
		if w.first == 0 {
			w.first = kb
		}
		w.max = max(w.max, kb)
		w.mu.Unlock()
		return
	}
}
