//go:build vmtest

package vm

import (
	"strings"
	"testing"
	"time"

	"github.com/halvs/halvs/vrrp"
)

// B's timers in TestPreemptKeepsStreams (priority 100, VRRPv3, A advertising every 100 ms)
// and the slack issue 11 allows on top of them.
var (
	skewB       = vrrp.SkewTime(3, 100, 100*time.Millisecond)
	masterDownB = vrrp.MasterDownInterval(3, 100, 100*time.Millisecond)
)

const moveSlack = 20 * time.Millisecond

// vipMove is one move of the VIP to director to: when to added it ("setting VIP") and when
// it began announcing it (keepalived's "Sending/queueing gratuitous ARPs" line).
type vipMove struct {
	to           *halvsd
	added, garps time.Time
}

// vipMoved waits for director to's VIP add and its first GARP burst at or after since.
func vipMoved(t *testing.T, to *halvsd, since time.Time) vipMove {
	t.Helper()
	m := vipMove{to: to}
	m.added = to.waitLog(t, since, 20*time.Second, `msg="setting VIP"`, "instance=VI_1")
	m.garps = to.waitLog(t, m.added, 5*time.Second, `msg="Sending/queueing gratuitous ARPs"`, "instance=VI_1")
	return m
}

// firstRequestAfter checks that the client's first HTTP request started after the move's
// GARPs succeeded (waiting for it to finish).
func firstRequestAfter(t *testing.T, http *prober, m vipMove, what string) {
	t.Helper()
	r := http.waitCount(t, m.garps, 1, 10*time.Second)[0]
	if r.err != nil {
		t.Errorf("%s: the first request after %s's GARPs (%s) failed: %v", what, m.to.name, r.at.Format("15:04:05.000"), r.err)
	}
}

// noFailures checks that no HTTP request started in [from, to) failed.
func noFailures(t *testing.T, http *prober, from, to time.Time, what string) {
	t.Helper()
	if c := count(http.between(from, to)); c["FAIL"] != 0 {
		t.Errorf("%s: %d of %d HTTP requests failed (%v)", what, c["FAIL"], len(http.between(from, to)), lastError(http.between(from, to)))
	}
}

// lastAdvertBefore is the last advert from src with a priority in [lo, hi] that capture c
// received before at.
func lastAdvertBefore(t *testing.T, c *advertCapture, src host, lo, hi uint8, at time.Time) time.Time {
	t.Helper()
	ads := c.adverts(src.addr, false, at.Add(-10*time.Second), at)
	for i := len(ads) - 1; i >= 0; i-- {
		if ads[i].prio >= lo && ads[i].prio <= hi {
			return ads[i].at
		}
	}
	t.Fatalf("%s received no advert from %s with priority %d..%d in the 10 s before %s", c.ns, src.ns, lo, hi, at.Format("15:04:05.000"))
	return time.Time{}
}

// moveWithin checks that m's VIP add came within bound of the advert that started the
// timer (at), issue 11's Master_Down_Interval (crash) or Skew_Time (graceful) + 20 ms.
func moveWithin(t *testing.T, m vipMove, at time.Time, bound time.Duration, what string) {
	t.Helper()
	took := m.added.Sub(at)
	t.Logf("%s: VIP on %s %v after the advert that armed its timer (bound %v)", what, m.to.name, took.Round(time.Millisecond), bound.Round(100*time.Microsecond))
	if took > bound {
		t.Errorf("%s: the VIP reached %s %v after the advert at %s, over the bound %v", what, m.to.name,
			took.Round(time.Millisecond), at.Format("15:04:05.000"), bound.Round(100*time.Microsecond))
	}
}

// noSpuriousMoves checks that director d entered MASTER exactly want times since since.
func noSpuriousMoves(t *testing.T, d *halvsd, since time.Time, want int) {
	t.Helper()
	n := 0
	for _, e := range d.entries() {
		if !e.at.Before(since) && containsAll(e.line, stateWords("MASTER")) {
			n++
		}
	}
	if n != want {
		t.Errorf("director %s entered MASTER %d times, want %d (a takeover nobody caused resets the streams)", d.name, n, want)
	}
}

func containsAll(s string, words []string) bool {
	for _, w := range words {
		if !strings.Contains(s, w) {
			return false
		}
	}
	return true
}
