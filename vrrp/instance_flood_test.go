package vrrp

import (
	"context"
	"net/netip"
	"testing"
	"time"
)

var rogue = netip.MustParseAddr("10.10.10.99")

// lowerAdvert is a valid advert for vi1 with priority prio from a router on the segment
// that thinks it is master: what a forged flood looks like.
func lowerAdvert(t *testing.T, prio uint8) Packet {
	t.Helper()
	msg := mustMarshal(t, Advertisement{Version: 3, Type: TypeAdvertisement, VRID: 51, Priority: prio,
		Interval: time.Second, Addrs: []netip.Addr{vipPfx.Addr()}}, rogue, MulticastIPv4, CodecOptions{})
	return Packet{Src: rogue, Dst: MulticastIPv4, HopLimit: 255, Payload: msg}
}

// masterAlone starts A (priority 150) alone and lets it become MASTER.
func masterAlone(t *testing.T) (*lab, *host, *Instance) {
	t.Helper()
	l := newLab(t)
	a := l.host(hostA)
	a.apply(t, vi1(150))
	l.advance(5 * time.Second)
	i := a.r.Instance("VI_1")
	if s := i.Status().State; s != StateMaster {
		t.Fatalf("A is %v, want MASTER", s)
	}
	return l, a, i
}

// TestFloodIsNotAmplified: thousands of lower-priority adverts in one advert interval get
// one answer (an advert and a GARP burst), not one each; the rest are counted. An interval
// later the next one is answered again.
func TestFloodIsNotAmplified(t *testing.T) {
	l, a, i := masterAlone(t)
	const flood = 3000
	sent, garps := i.Counters().AdvertsSent, a.ann.Total()
	p := lowerAdvert(t, 50)
	for range flood {
		a.port.Inject(p)
	}
	l.settle()
	c := i.Counters()
	if n := c.AdvertsSent - sent; n != 1 {
		t.Errorf("%d adverts sent in answer to %d lower-priority ones within an interval, want 1", n, flood)
	}
	if n := a.ann.Total() - garps; n != DefaultGARPRepeat {
		t.Errorf("%d announcements, want one burst of %d", n, DefaultGARPRepeat)
	}
	if n := c.RepliesLimited + c.Drops[DropQueueFull]; n != flood-1 {
		t.Errorf("replies limited %d + queue-full drops %d = %d, want %d", c.RepliesLimited, c.Drops[DropQueueFull], n, flood-1)
	}

	// Dropped adverts log one debug line each, up to logBurst per reason per logWindow.
	ttl := p
	ttl.HopLimit = 64
	const bad = 3 * logBurst
	for range bad {
		a.port.Inject(ttl)
	}
	l.settle()
	after := i.Counters()
	if n := after.Drops[DropTTL]; n != bad {
		t.Errorf("%d TTL drops counted, want %d", n, bad)
	}
	if n := after.LogSuppressed - c.LogSuppressed; n != bad-logBurst {
		t.Errorf("%d of %d drop log lines suppressed, want %d", n, bad, bad-logBurst)
	}

	l.advance(time.Second) // the advert timer, armed by the answer, sends one advert
	sent, garps = i.Counters().AdvertsSent, a.ann.Total()
	a.port.Inject(p)
	l.settle()
	if n, g := i.Counters().AdvertsSent-sent, a.ann.Total()-garps; n != 1 || g != DefaultGARPRepeat {
		t.Errorf("an interval later: %d adverts and %d announcements, want 1 and %d", n, g, DefaultGARPRepeat)
	}
}

// TestHandoverIsNotQueuedBehindAdverts: a failover asked while the loop has a full mailbox
// of adverts is handled before them, and what did not fit was dropped and counted.
func TestHandoverIsNotQueuedBehindAdverts(t *testing.T) {
	l, a, i := masterAlone(t)
	gate := make(chan struct{})
	i.box.put(input{at: l.clock.Now(), fn: func() { <-gate }}) // the loop is busy
	const flood = 2 * PacketQueueLimit
	p := lowerAdvert(t, 50)
	for range flood {
		a.port.Inject(p)
	}
	for l.seg.Busy() { // every advert routed to the mailbox or dropped
		time.Sleep(time.Millisecond)
	}
	sent := i.Counters().AdvertsSent
	type result struct{ err error }
	done := make(chan result, 1)
	go func() {
		_, _, err := i.Handover(context.Background(), time.Minute)
		done <- result{err}
	}()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); {
		i.box.mu.Lock()
		queued := i.box.control.len() + i.box.ordered.len()
		i.box.mu.Unlock()
		if queued > PacketQueueLimit { // the adverts and the failover's input
			break
		}
		time.Sleep(time.Millisecond)
	}
	close(gate)
	select {
	case r := <-done:
		if r.err != nil {
			t.Fatal(r.err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Handover did not return")
	}
	l.settle()
	c := i.Counters()
	// Handled first, the failover made A BACKUP with priority 1: the queued priority-50
	// adverts then came from a better master and were not answered.
	if n := c.AdvertsSent - sent; n != 1 || c.PriorityZeroSent != 1 {
		t.Errorf("%d adverts sent (%d with priority 0), want only the failover's priority 0", n, c.PriorityZeroSent)
	}
	if c.RepliesLimited != 0 {
		t.Errorf("%d replies limited, want none: the adverts should reach a BACKUP", c.RepliesLimited)
	}
	if got, want := c.Drops[DropQueueFull], uint64(flood-PacketQueueLimit); got != want {
		t.Errorf("queue-full drops %d, want %d", got, want)
	}
	if got := i.Status(); got.State != StateBackup || got.MasterAddr != rogue {
		t.Errorf("A is %v following %v, want BACKUP following %v", got.State, got.MasterAddr, rogue)
	}
}
