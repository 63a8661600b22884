package vrrp

import (
	"net/netip"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// downDeferSetup crashes A, hands B one advert of A's received now, and returns the
// deadline of B's Master_Down timer (that advert's receive time + Master_Down_Interval)
// and an advert message of A's with priority prio.
func downDeferSetup(t *testing.T, l *lab, a, b *host, prio uint8, bPrio uint8) (deadline time.Time, msg []byte) {
	t.Helper()
	a.port.Crash()
	adv := Advertisement{Version: 3, Type: TypeAdvertisement, VRID: 51, Priority: prio,
		Interval: time.Second, Addrs: []netip.Addr{vipPfx.Addr()}}
	msg = mustMarshal(t, adv, hostA, MulticastIPv4, CodecOptions{})
	ref := l.clock.Now()
	b.port.Inject(Packet{Src: hostA, Dst: MulticastIPv4, HopLimit: 255, Payload: msg, ReceivedAt: ref})
	l.settle()
	if state(b) != StateBackup {
		t.Fatalf("B is %v, want BACKUP", state(b))
	}
	return ref.Add(MasterDownInterval(3, bPrio, time.Second)), msg
}

func masterReports(h *host) []time.Time {
	var out []time.Time
	for _, c := range h.reported() {
		if c.To == StateMaster {
			out = append(out, c.At)
		}
	}
	return out
}

// TestDownTimerWaitsForUnreadAdverts: B's Master_Down timer falls due while an advert of
// A's waits unread (the receive goroutine paused). B defers the timer; once the advert is
// read, one the kernel received before the deadline counts as in time (no takeover), one
// received after it as late (the takeover happens at the deadline, as without deferral),
// one without a kernel receive time as in time.
func TestDownTimerWaitsForUnreadAdverts(t *testing.T) {
	tests := []struct {
		name     string
		received func(deadline time.Time) time.Time // kernel receive time of the unread advert
		want     func(deadline time.Time) []time.Time
	}{
		{
			name:     "received before the deadline: in time",
			received: func(d time.Time) time.Time { return d.Add(-MasterDownInterval(3, 100, time.Second) + time.Second) },
			want:     func(time.Time) []time.Time { return nil },
		},
		{
			// The oldest advert of a long backlog loses its stamp (maxStampAge); read now,
			// after the deadline, it must not make the backlog a takeover.
			name:     "no kernel receive time: in time",
			received: func(time.Time) time.Time { return time.Time{} },
			want:     func(time.Time) []time.Time { return nil },
		},
		{
			name:     "received after the deadline: late",
			received: func(d time.Time) time.Time { return d.Add(time.Millisecond) },
			want:     func(d time.Time) []time.Time { return []time.Time{d} },
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, a, b := pair(t, vi1(150), vi1(100))
			deadline, msg := downDeferSetup(t, l, a, b, 150, 100)
			before := len(masterReports(b))
			resume := b.port.Pause()
			t.Cleanup(resume)
			l.advance(deadline.Add(-10 * time.Millisecond).Sub(l.clock.Now()))
			b.port.Inject(Packet{Src: hostA, Dst: MulticastIPv4, HopLimit: 255, Payload: msg, ReceivedAt: tt.received(deadline)})
			l.advance(20 * time.Millisecond) // past the deadline, the advert still unread
			if got := state(b); got != StateBackup {
				t.Fatalf("B is %v 10ms after its deadline with A's advert unread, want BACKUP (timer deferred)", got)
			}
			resume()
			l.settle()
			got := masterReports(b)[before:]
			if diff := cmp.Diff(tt.want(deadline), got, cmp.Comparer(time.Time.Equal)); diff != "" {
				t.Errorf("B's takeovers (-want +got):\n%s", diff)
			}
			if st := b.r.Instance("VI_1").Status(); st.State != StateBackup {
				t.Errorf("B is %v once A's advert is read, want BACKUP", st.State)
			}
		})
	}
}

// TestDownTimerDeferralIsBounded: a socket that always holds unread traffic (here another
// VRID's, which the reader never gets to) delays a takeover by at most Skew_Time and
// maxDownDeferrals waits, whichever is shorter.
func TestDownTimerDeferralIsBounded(t *testing.T) {
	tests := []struct {
		name         string
		prioA, prioB uint8
		bound        time.Duration
	}{
		{"deferral count binds", 150, 100, (downDeferStep << maxDownDeferrals) - downDeferStep},
		{"Skew_Time binds", 254, 250, SkewTime(3, 250, time.Second)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.bound > SkewTime(3, tt.prioB, time.Second) {
				t.Fatalf("bound %v exceeds Skew_Time", tt.bound)
			}
			l, a, b := pair(t, vi1(tt.prioA), vi1(tt.prioB))
			deadline, _ := downDeferSetup(t, l, a, b, tt.prioA, tt.prioB)
			resume := b.port.Pause()
			t.Cleanup(resume)
			other := Advertisement{Version: 3, Type: TypeAdvertisement, VRID: 52, Priority: 100,
				Interval: time.Second, Addrs: []netip.Addr{vipPfx.Addr()}}
			l.advance(deadline.Add(-10 * time.Millisecond).Sub(l.clock.Now()))
			b.port.Inject(Packet{Src: hostA, Dst: MulticastIPv4, HopLimit: 255, Payload: mustMarshal(t, other, hostA, MulticastIPv4, CodecOptions{})})
			l.advance(deadline.Add(500 * time.Microsecond).Sub(l.clock.Now()))
			if got := state(b); got != StateBackup {
				t.Fatalf("B is %v just after its deadline with traffic unread, want BACKUP (timer deferred)", got)
			}
			l.advance(deadline.Add(tt.bound - time.Millisecond).Sub(l.clock.Now()))
			if got := state(b); got != StateBackup {
				t.Fatalf("B is %v %v after its deadline, before the bound %v, want BACKUP", got, tt.bound-time.Millisecond, tt.bound)
			}
			l.advance(deadline.Add(tt.bound + time.Millisecond).Sub(l.clock.Now()))
			if got := state(b); got != StateMaster {
				t.Errorf("B is %v %v after its deadline with the socket never drained, want MASTER (bound %v)", got, tt.bound+time.Millisecond, tt.bound)
			}
		})
	}
}
