package clocktest

import (
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

var t0 = time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)

func TestAdvanceSettledFiresInTimeOrder(t *testing.T) {
	c := New(t0)
	var got []string
	note := func(s string) func() {
		return func() { got = append(got, s+" "+c.Now().Sub(t0).String()) }
	}
	c.AfterFunc(2*time.Second, note("b"))
	c.AfterFunc(time.Second, note("a"))
	c.AfterFunc(2*time.Second, note("c")) // armed after b, due with it
	stopped := c.AfterFunc(time.Second, note("stopped"))
	if !stopped.Stop() || stopped.Stop() {
		t.Errorf("Stop: want true once, then false")
	}
	// A timer armed by a call fires within the same advance when it is due by its end.
	c.AfterFunc(500*time.Millisecond, func() { c.AfterFunc(time.Second, note("chained")) })
	c.AfterFunc(4*time.Second, note("later"))
	c.AdvanceSettled(3*time.Second, func() {})
	want := []string{"a 1s", "chained 1.5s", "b 2s", "c 2s"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("calls (-want +got):\n%s", diff)
	}
	if got := c.Now(); !got.Equal(t0.Add(3 * time.Second)) {
		t.Errorf("Now = %v, want t0+3s", got)
	}
}

func TestAdvanceRunsCallsAsynchronously(t *testing.T) {
	c := New(t0)
	var mu sync.Mutex
	var got []int
	var wg sync.WaitGroup
	wg.Add(2)
	for i := range 2 {
		c.AfterFunc(time.Duration(i+1)*time.Second, func() {
			defer wg.Done()
			mu.Lock()
			got = append(got, i)
			mu.Unlock()
		})
	}
	c.Advance(time.Second / 2)
	mu.Lock()
	if len(got) != 0 {
		t.Errorf("fired before due: %v", got)
	}
	mu.Unlock()
	c.Advance(2 * time.Second)
	wg.Wait()
	slices.Sort(got)
	if diff := cmp.Diff([]int{0, 1}, got); diff != "" {
		t.Errorf("calls (-want +got):\n%s", diff)
	}
}

func TestChanTimer(t *testing.T) {
	c := New(t0)
	tm := c.NewTimer(time.Second)
	c.Advance(time.Second)
	select {
	case at := <-tm.C():
		if !at.Equal(t0.Add(time.Second)) {
			t.Errorf("sent %v, want t0+1s", at)
		}
	default:
		t.Fatalf("no value once due")
	}
	tm.Reset(time.Second)
	c.Advance(time.Second)
	tm.Reset(time.Second) // discards the value not yet received
	select {
	case <-tm.C():
		t.Errorf("a stale value after Reset")
	default:
	}
	tm.Stop()
	c.Advance(time.Hour)
	select {
	case <-tm.C():
		t.Errorf("a value after Stop")
	default:
	}
}

func TestUntil(t *testing.T) {
	c := New(t0)
	fired := make(chan struct{})
	c.AfterFunc(300*time.Millisecond, func() { close(fired) })
	c.Until(t, 100*time.Millisecond, "the timer", func() bool {
		select {
		case <-fired:
			return true
		default:
			return false
		}
	})
	if got := c.Now().Sub(t0); got < 300*time.Millisecond {
		t.Errorf("Until returned at t0+%v, before the timer was due", got)
	}
}
