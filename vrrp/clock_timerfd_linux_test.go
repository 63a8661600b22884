package vrrp

import (
	"os"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// These tests run the real timerfd. They assert what fires and in which order, never how
// precisely: the failover bench reports that. Waits are bounded by waitTimeout only so that
// a broken queue fails instead of hanging.
const waitTimeout = 10 * time.Second

// orderedQueue returns a queue that runs callbacks in its reader goroutine, in the order
// it starts them, so that "the later timer has fired" implies "every earlier one has".
func orderedQueue(t *testing.T) *timerQueue {
	t.Helper()
	q, err := newTimerQueue(func(f func()) { f() })
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { q.Close() })
	return q
}

// recorder collects the names of the callbacks that ran.
type recorder chan string

func (r recorder) fn(name string) func() { return func() { r <- name } }

// until returns the names received up to and including stop.
func (r recorder) until(t *testing.T, stop string) []string {
	t.Helper()
	var got []string
	for {
		select {
		case name := <-r:
			got = append(got, name)
			if name == stop {
				return got
			}
		case <-time.After(waitTimeout):
			t.Fatalf("%q did not fire within %v; fired: %q", stop, waitTimeout, got)
		}
	}
}

func TestTimerQueueFiresInDeadlineOrder(t *testing.T) {
	q := orderedQueue(t)
	rec := make(recorder, 16)
	for _, x := range []struct {
		name string
		d    time.Duration
	}{{"30ms", 30 * time.Millisecond}, {"now", 0}, {"10ms", 10 * time.Millisecond},
		{"negative", -time.Second}, {"20ms", 20 * time.Millisecond}} {
		q.AfterFunc(x.d, rec.fn(x.name))
	}
	// Equal deadlines are not ordered, so "now" and "negative" may come either way.
	got := rec.until(t, "30ms")
	if got[0] == "now" {
		got[0], got[1] = got[1], got[0]
	}
	want := []string{"negative", "now", "10ms", "20ms", "30ms"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("firing order (-want +got):\n%s", diff)
	}
}

func TestTimerQueueStopAndReset(t *testing.T) {
	const soon, later, never = 100 * time.Millisecond, 200 * time.Millisecond, time.Hour
	tests := []struct {
		name string
		// arm sets up timer "t" and reports what Stop/Reset returned; "sentinel" fires at
		// later, after which anything due by then has fired.
		arm     func(q *timerQueue, f func()) []bool
		results []bool   // what arm's Stop and Reset calls returned
		want    []string // fired, up to the sentinel
	}{
		{"stop prevents the call", func(q *timerQueue, f func()) []bool {
			tm := q.AfterFunc(soon, f)
			return []bool{tm.Stop(), tm.Stop()}
		}, []bool{true, false}, []string{"sentinel"}},
		{"reset earlier", func(q *timerQueue, f func()) []bool {
			return []bool{q.AfterFunc(never, f).Reset(soon)}
		}, []bool{true}, []string{"t", "sentinel"}},
		{"reset later", func(q *timerQueue, f func()) []bool {
			return []bool{q.AfterFunc(soon, f).Reset(never)}
		}, []bool{true}, []string{"sentinel"}},
		{"reset after stop schedules again", func(q *timerQueue, f func()) []bool {
			tm := q.AfterFunc(never, f)
			return []bool{tm.Stop(), tm.Reset(soon)}
		}, []bool{true, false}, []string{"t", "sentinel"}},
		{"stop after reset", func(q *timerQueue, f func()) []bool {
			tm := q.AfterFunc(never, f)
			return []bool{tm.Reset(soon), tm.Stop()}
		}, []bool{true, true}, []string{"sentinel"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			q := orderedQueue(t)
			rec := make(recorder, 4)
			results := tt.arm(q, rec.fn("t"))
			q.AfterFunc(later, rec.fn("sentinel"))
			if diff := cmp.Diff(tt.results, results); diff != "" {
				t.Errorf("Stop/Reset results (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.want, rec.until(t, "sentinel")); diff != "" {
				t.Errorf("fired (-want +got):\n%s", diff)
			}
		})
	}
}

func TestTimerQueueResetAfterFiringRunsAgain(t *testing.T) {
	q := orderedQueue(t)
	rec := make(recorder, 4)
	tm := q.AfterFunc(0, rec.fn("t"))
	rec.until(t, "t")
	if tm.Stop() {
		t.Error("Stop after the call = true, want false")
	}
	if tm.Reset(time.Millisecond) {
		t.Error("Reset after the call = true, want false")
	}
	rec.until(t, "t")
}

func TestTimerQueueCallbacksRunInTheirOwnGoroutine(t *testing.T) {
	q, err := newTimerQueue(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	// The first callback blocks until the second has run: with both run by the reader
	// itself, the second could never start.
	release := make(chan struct{})
	done := make(chan struct{})
	q.AfterFunc(0, func() { <-release; close(done) })
	q.AfterFunc(time.Millisecond, func() { close(release) })
	select {
	case <-done:
	case <-time.After(waitTimeout):
		t.Fatal("a blocked callback held up the next timer")
	}
}

func TestTimerQueueCloseReleasesTheFD(t *testing.T) {
	before := openFDs(t)
	q, err := newTimerQueue(nil)
	if err != nil {
		t.Fatal(err)
	}
	// Many timers, armed, reset, stopped and fired, share the queue's one descriptor.
	fired := make(chan struct{}, 100)
	for i := range 100 {
		tm := q.AfterFunc(time.Duration(i)*time.Microsecond, func() { fired <- struct{}{} })
		if i%2 == 0 {
			tm.Stop()
			tm.Reset(0)
		}
	}
	for range 100 {
		select {
		case <-fired:
		case <-time.After(waitTimeout):
			t.Fatal("not every timer fired")
		}
	}
	q.AfterFunc(time.Hour, func() { t.Error("a timer fired after Close") })
	if got := openFDs(t); got != before+1 {
		t.Errorf("open descriptors with the queue open: %d, want %d", got, before+1)
	}
	if err := q.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	if got := openFDs(t); got != before {
		t.Errorf("open descriptors after Close: %d, want %d", got, before)
	}
	// A timer armed after Close never fires and touches no descriptor.
	q.AfterFunc(0, func() { t.Error("a timer armed after Close fired") })
}

func TestRealClockUsesTheTimerfd(t *testing.T) {
	tm := RealClock{}.AfterFunc(time.Hour, func() { t.Error("stopped timer fired") })
	if _, ok := tm.(*preciseTimer); !ok {
		t.Fatalf("RealClock.AfterFunc returned %T, want *preciseTimer", tm)
	}
	if !tm.Stop() {
		t.Error("Stop of a pending timer = false")
	}
	done := make(chan struct{})
	RealClock{}.AfterFunc(time.Millisecond, func() { close(done) })
	select {
	case <-done:
	case <-time.After(waitTimeout):
		t.Fatal("RealClock timer did not fire")
	}
}

func openFDs(t *testing.T) int {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skipf("cannot count descriptors: %v", err)
	}
	return len(ents)
}
