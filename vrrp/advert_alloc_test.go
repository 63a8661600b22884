package vrrp

import (
	"io"
	"log/slog"
	"net/netip"
	"testing"
	"time"

	"github.com/halvs/halvs/internal/clock/clocktest"
	"github.com/halvs/halvs/vrrp/kernel"
	"github.com/halvs/halvs/vrrp/vrrptest"
)

// The steady-state advert cycle allocates nothing: garbage collection (its assists and
// stop-the-world pauses) was what delayed a loaded master's adverts past half of
// Master_Down_Interval in the soak (issue 12). These tests pin that for the path that runs
// on the advert thread (vrrp_rt_priority / vrrp_priority).

// sinkTransport is a Transport that keeps the last message sent, in a buffer it reuses.
type sinkTransport struct {
	local netip.Addr
	last  []byte
	dst   netip.Addr
	sent  int
}

func (s *sinkTransport) Receive() (kernel.Packet, error) { select {} }
func (s *sinkTransport) Send(dst netip.Addr, msg []byte) error {
	s.last, s.dst = append(s.last[:0], msg...), dst
	s.sent++
	return nil
}
func (s *sinkTransport) LocalAddr() netip.Addr { return s.local }
func (s *sinkTransport) Close() error          { return nil }

// allocInstance returns an instance on tx, driven by the test instead of its loop, with its
// timer on an advert thread as with vrrp_rt_priority; the machine has handled Startup.
func allocInstance(t testing.TB, cfg InstanceConfig, tx *sinkTransport) *Instance {
	t.Helper()
	d := &Deps{Addresser: &vrrptest.Addresser{}, Announcer: &vrrptest.Announcer{}, Links: &vrrptest.Links{},
		Clock: clocktest.New(t0), Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	i := newInstance(d, &sharedTransport{t: tx}, cfg, nil)
	rt, err := newAdvertThread(AdvertSched{RTPriority: 1})
	if err != nil {
		t.Skipf("no timerfd: %v", err)
	}
	i.rt = rt
	t.Cleanup(func() {
		i.disarm()
		rt.close()
		i.kernel.stop()
		i.notif.jobs.close()
	})
	i.evTime = t0
	i.m.Handle(t0, Startup{}) // the actions of startup are not under test
	return i
}

func allocConfig(prio uint8) InstanceConfig {
	c := vi1(prio)
	c.Interval = 20 * time.Millisecond
	c.VIPs = []VIP{{Prefix: vipPfx}, {Prefix: netip.MustParsePrefix("10.10.10.23/32")}}
	return c
}

func TestMasterAdvertCycleAllocatesNothing(t *testing.T) {
	for _, peers := range [][]netip.Addr{nil, {hostB}} {
		tx := &sinkTransport{local: hostA}
		cfg := allocConfig(PriorityOwner)
		cfg.UnicastPeers = peers
		i := allocInstance(t, cfg, tx)
		if i.m.State() != StateMaster {
			t.Fatalf("state %v, want MASTER", i.m.State())
		}
		got := testing.AllocsPerRun(100, func() { i.handle(AdvertTimerFired{}) })
		if got != 0 {
			t.Errorf("unicast peers %v: %v allocations per advert, want 0", peers, got)
		}
		// What went out is still a whole advert.
		a, err := Unmarshal(tx.last, hostA, tx.dst, i.filter.Codec)
		if err != nil || a.Priority != PriorityOwner || len(a.Addrs) != 2 || a.Interval != cfg.Interval {
			t.Errorf("unicast peers %v: last advert %+v, %v", peers, a, err)
		}
		if tx.sent < 101 || i.timer == nil {
			t.Errorf("unicast peers %v: %d sent, timer %v: want 101 and an armed timer", peers, tx.sent, i.timer)
		}
	}
}

func TestBackupAdvertCycleAllocatesNothing(t *testing.T) {
	i := allocInstance(t, allocConfig(100), &sinkTransport{local: hostB})
	if i.m.State() != StateBackup {
		t.Fatalf("state %v, want BACKUP", i.m.State())
	}
	master := Advertisement{Version: 3, Type: TypeAdvertisement, VRID: 51, Priority: 200, Interval: 20 * time.Millisecond,
		Addrs: []netip.Addr{vipPfx.Addr(), netip.MustParseAddr("10.10.10.23")}}
	msg, err := master.Marshal(hostA, i.cfg.group(), i.filter.Codec)
	if err != nil {
		t.Fatal(err)
	}
	p := kernel.Packet{Src: hostA, Dst: i.cfg.group(), HopLimit: TTL, Payload: msg}
	at := t0
	got := testing.AllocsPerRun(100, func() {
		at = at.Add(20 * time.Millisecond)
		i.deliver(p, at)
		i.drain()
	})
	if got != 0 {
		t.Errorf("%v allocations per received advert, want 0", got)
	}
	c := i.Counters()
	if c.AdvertsReceived != 101 || i.m.MasterAddr() != hostA || i.m.State() != StateBackup || i.timer == nil {
		t.Errorf("received %d, master %v, state %v, timer %v: want 101, %v, BACKUP, armed",
			c.AdvertsReceived, i.m.MasterAddr(), i.m.State(), i.timer, hostA)
	}
}

// The benchmarks report the advert path's allocations (go test -bench Advert -run ^$
// ./vrrp/): the tests above pin them at zero; these show them, and the time, when they
// are not.

func BenchmarkMasterAdvertCycle(b *testing.B) {
	i := allocInstance(b, allocConfig(PriorityOwner), &sinkTransport{local: hostA})
	b.ReportAllocs()
	for b.Loop() {
		i.handle(AdvertTimerFired{})
	}
}

func BenchmarkBackupAdvertCycle(b *testing.B) {
	i := allocInstance(b, allocConfig(100), &sinkTransport{local: hostB})
	master := Advertisement{Version: 3, Type: TypeAdvertisement, VRID: 51, Priority: 200, Interval: 20 * time.Millisecond,
		Addrs: []netip.Addr{vipPfx.Addr(), netip.MustParseAddr("10.10.10.23")}}
	msg, err := master.Marshal(hostA, i.cfg.group(), i.filter.Codec)
	if err != nil {
		b.Fatal(err)
	}
	p := kernel.Packet{Src: hostA, Dst: i.cfg.group(), HopLimit: TTL, Payload: msg}
	at := t0
	b.ReportAllocs()
	for b.Loop() {
		at = at.Add(20 * time.Millisecond)
		i.deliver(p, at)
		i.drain()
	}
}

func BenchmarkAdvertCodec(b *testing.B) {
	a := Advertisement{Version: 3, Type: TypeAdvertisement, VRID: 51, Priority: 200, Interval: 20 * time.Millisecond,
		Addrs: []netip.Addr{vipPfx.Addr(), netip.MustParseAddr("10.10.10.23")}}
	group := netip.MustParseAddr("224.0.0.18")
	b.Run("AppendMarshal", func(b *testing.B) {
		var buf []byte
		b.ReportAllocs()
		for b.Loop() {
			var err error
			if buf, err = a.AppendMarshal(buf[:0], hostA, group, CodecOptions{}); err != nil {
				b.Fatal(err)
			}
		}
	})
	msg, _ := a.Marshal(hostA, group, CodecOptions{})
	b.Run("Check", func(b *testing.B) {
		f := ReceiveFilter{Version: 3, VRID: 51, Interval: 20 * time.Millisecond, VIPs: a.Addrs}
		p := kernel.Packet{Src: hostA, Dst: group, HopLimit: TTL, Payload: msg}
		b.ReportAllocs()
		for b.Loop() {
			if r := f.Check(p); r.Drop != DropNone {
				b.Fatal(r.Drop)
			}
		}
	})
	b.Run("Unmarshal", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := Unmarshal(msg, hostA, group, CodecOptions{}); err != nil {
				b.Fatal(err)
			}
		}
	})
}
