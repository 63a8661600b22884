//go:build integration

package integration

import (
	"net/netip"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The behaviour tests below run every scenario against halvs and, as the reference, against
// keepalived (subtests "halvs" and "keepalived"): a scenario keepalived fails is a wrong test.

// The seed's instance (examples/seed): VRRPv2, PASS authentication, 1 s adverts.
func seed(priority int) Instance {
	return Instance{Priority: priority, AuthPass: "1111", Interval: time.Second}
}

// fast is a VRRPv3 instance at 200 ms, for tests about behaviour rather than the seed: a
// takeover then costs well under a second, while a busy machine is unlikely to stall a
// daemon for the 700 ms it would take to fake one.
func fast(priority int) Instance {
	return Instance{Priority: priority, Version: 3, Interval: 200 * time.Millisecond}
}

// TestElectionAndCrash: two directors elect the higher priority; when its process
// is killed (SIGKILL: no goodbye), the backup takes the VIP and the client's neighbour entry
// follows its gratuitous ARP; when the higher priority returns it preempts, and the VIP is
// never on both.
func TestElectionAndCrash(t *testing.T) {
	forEachImpl(t, func(t *testing.T, impl Impl) {
		p := newPair(t, VIP4, impl)
		mark := p.obs.Mark()
		da := p.start(impl, p.lab.A, seed(150))
		p.start(impl, p.lab.B, seed(100))
		p.expectMaster(mark, p.lab.A, 10*time.Second, 3*time.Second)

		mark = p.obs.Mark()
		da.Kill()
		p.expectMaster(mark, p.lab.B, 10*time.Second, 2*time.Second)

		mark = p.obs.Mark()
		p.start(impl, p.lab.A, seed(150))
		p.expectMaster(mark, p.lab.A, 10*time.Second, 3*time.Second)
	})
}

// TestGracefulStop: SIGTERM makes the master send a priority-0 advert, release the VIP
// and exit 0; the backup takes over and announces.
func TestGracefulStop(t *testing.T) {
	forEachImpl(t, func(t *testing.T, impl Impl) {
		p := newPair(t, VIP4, impl)
		mark := p.obs.Mark()
		da := p.start(impl, p.lab.A, seed(150))
		p.start(impl, p.lab.B, seed(100))
		p.expectMaster(mark, p.lab.A, 10*time.Second, 2*time.Second)

		mark = p.obs.Mark()
		if err := da.Stop(10 * time.Second); err != nil {
			t.Fatal(err)
		}
		if da.err != nil {
			t.Errorf("%s exited with %v after SIGTERM, want status 0", impl, da.err)
		}
		if p.lab.A.HasAddr(p.vip) {
			t.Errorf("A still holds %s after a graceful stop", p.vip)
		}
		if _, _, err := p.obs.WaitFor(mark, time.Second, func(e Event) bool {
			return AdvertFrom(p.lab.A.MAC)(e) && e.Priority == 0
		}); err != nil {
			t.Errorf("no priority-0 advert from A on stop: %v\n%s", err, p.dump(mark))
		}
		p.expectMaster(mark, p.lab.B, 5*time.Second, 2*time.Second)
	})
}

// TestNopreempt: with nopreempt on both (state BACKUP, as keepalived requires), a
// returning higher priority stays backup.
func TestNopreempt(t *testing.T) {
	forEachImpl(t, func(t *testing.T, impl Impl) {
		p := newPair(t, VIP4, impl)
		a, b := fast(150), fast(100)
		a.NoPreempt, b.NoPreempt = true, true
		mark := p.obs.Mark()
		da := p.start(impl, p.lab.A, a)
		p.expectMaster(mark, p.lab.A, 5*time.Second, 0)
		p.start(impl, p.lab.B, b)
		p.holdsAlone(p.lab.A, time.Second)

		mark = p.obs.Mark()
		da.Kill()
		p.expectMaster(mark, p.lab.B, 5*time.Second, 0)

		mark = p.obs.Mark()
		p.start(impl, p.lab.A, a)
		p.noAnnounce(mark, p.lab.A, 5*a.MasterDownInterval())
		p.holdsAlone(p.lab.B, time.Second)
	})
}

// TestLinkDown: when the master's interface goes down it enters FAULT and releases the
// VIP; the backup takes over. When the link returns, the higher priority preempts again.
func TestLinkDown(t *testing.T) {
	forEachImpl(t, func(t *testing.T, impl Impl) {
		p := newPair(t, VIP4, impl)
		mark := p.obs.Mark()
		p.start(impl, p.lab.A, fast(150))
		p.start(impl, p.lab.B, fast(100))
		p.expectMaster(mark, p.lab.A, 5*time.Second, time.Second)

		mark = p.obs.Mark()
		p.lab.A.SetLink(false)
		p.expectMasterOtherCut(mark, p.lab.B, 5*time.Second)
		deadline := time.Now().Add(3 * time.Second)
		for p.lab.A.HasAddr(p.vip) {
			if time.Now().After(deadline) {
				t.Fatalf("A kept %s on its downed interface (want it released in FAULT)", p.vip)
			}
			time.Sleep(20 * time.Millisecond)
		}

		mark = p.obs.Mark()
		p.lab.A.SetLink(true)
		p.expectMaster(mark, p.lab.A, 5*time.Second, time.Second)
	})
}

// TestUnicast: with unicast_peer on both, election and a crash takeover work the same.
func TestUnicast(t *testing.T) {
	forEachImpl(t, func(t *testing.T, impl Impl) {
		p := newPair(t, VIP4, impl)
		a, b := fast(150), fast(100)
		a.Unicast, b.Unicast = true, true
		mark := p.obs.Mark()
		da := p.start(impl, p.lab.A, a)
		p.start(impl, p.lab.B, b)
		p.expectMaster(mark, p.lab.A, 5*time.Second, 2*time.Second)

		mark = p.obs.Mark()
		da.Kill()
		p.expectMaster(mark, p.lab.B, 5*time.Second, time.Second)
	})
}

// TestIPv6: an IPv6 instance (VRRPv3; the first VIP link-local, as RFC 5798 requires)
// moves its VIPs with unsolicited neighbour advertisements, which the client's neighbour
// table follows.
func TestIPv6(t *testing.T) {
	forEachImpl(t, func(t *testing.T, impl Impl) {
		p := newPair(t, VIP6, impl)
		in := func(prio int) Instance {
			i := fast(prio)
			i.VIPs = []netip.Prefix{netip.MustParsePrefix("fe80::22/64"), netip.PrefixFrom(VIP6, 64)}
			return i
		}
		mark := p.obs.Mark()
		da := p.start(impl, p.lab.A, in(150))
		p.start(impl, p.lab.B, in(100))
		na := p.expectMaster(mark, p.lab.A, 5*time.Second, time.Second)
		if na.Kind != KindNA || na.Op != 1 {
			t.Errorf("announcement %v, want an unsolicited neighbour advertisement", na)
		}

		mark = p.obs.Mark()
		da.Kill()
		p.expectMaster(mark, p.lab.B, 5*time.Second, time.Second)

		mark = p.obs.Mark()
		p.start(impl, p.lab.A, in(150))
		p.expectMaster(mark, p.lab.A, 5*time.Second, time.Second)
	})
}

// TestReloadKeepsMaster: SIGHUP with an unchanged configuration must not flap the master:
// no priority-0 advert, no takeover by the backup, the VIP stays where it was.
func TestReloadKeepsMaster(t *testing.T) {
	forEachImpl(t, func(t *testing.T, impl Impl) {
		p := newPair(t, VIP4, impl)
		a := fast(150)
		mark := p.obs.Mark()
		da := p.start(impl, p.lab.A, a)
		p.start(impl, p.lab.B, fast(100))
		p.expectMaster(mark, p.lab.A, 5*time.Second, time.Second)

		mark = p.obs.Mark()
		if err := da.Signal(syscall.SIGHUP); err != nil {
			t.Fatal(err)
		}
		// A master that dropped to BACKUP and came back would lose the VIP for a moment and
		// announce it again; the backup would announce if A fell silent for long.
		p.holdsAlone(p.lab.A, 3*a.MasterDownInterval())
		for _, e := range p.obs.Since(mark) {
			switch {
			case AdvertFrom(p.lab.A.MAC)(e) && e.Priority == 0:
				t.Errorf("A sent a priority-0 advert on reload: %v", e)
			case AnnounceFrom(p.lab.B.MAC, p.vip)(e):
				t.Errorf("B took over during A's reload: %v", e)
			case AnnounceFrom(p.lab.A.MAC, p.vip)(e):
				t.Errorf("A announced the VIP again on reload, as after a state change: %v", e)
			}
		}
		if _, _, err := p.obs.WaitFor(p.obs.Mark(), time.Second, AdvertFrom(p.lab.A.MAC)); err != nil {
			t.Errorf("A sends no adverts after the reload: %v", err)
		}
		// Both say so when they re-read the file ("Reloading", "reloaded"): the signal was
		// not ignored, so the checks above were about a real reload.
		if !strings.Contains(strings.ToLower(da.Output()), "reload") {
			t.Errorf("%s on A logged no reload after SIGHUP", impl)
		}
	})
}
