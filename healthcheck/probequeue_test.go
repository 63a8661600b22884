package healthcheck

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

// TestProbeQueueOrder pushes probes in random order, removes some from the middle (as a reload
// does), and checks that pops come out by due time and that every probe's index stays its place
// in the heap.
func TestProbeQueueOrder(t *testing.T) {
	t0 := time.Unix(1_700_000_000, 0)
	q := newProbeQueue(t0)
	rnd := rand.New(rand.NewPCG(3, 4))
	var all []*probe
	for range 500 {
		p := &probe{due: t0.Add(time.Duration(rnd.Int64N(int64(time.Hour))) - time.Minute), index: -1}
		all = append(all, p)
		q.push(p)
	}
	checkIndexes := func() {
		t.Helper()
		for i, e := range q.entries {
			if e.p.index != i {
				t.Fatalf("entry %d holds a probe whose index is %d", i, e.p.index)
			}
		}
	}
	checkIndexes()
	removed := map[*probe]bool{}
	for _, p := range all[:100] {
		q.remove(p.index)
		if p.index != -1 {
			t.Fatalf("removed probe keeps index %d", p.index)
		}
		removed[p] = true
	}
	checkIndexes()
	var want []time.Time
	for _, p := range all {
		if !removed[p] {
			want = append(want, p.due)
		}
	}
	slices.SortFunc(want, func(a, b time.Time) int { return a.Compare(b) })
	var got []time.Time
	for q.len() > 0 {
		p := q.pop()
		if p.index != -1 {
			t.Fatalf("popped probe keeps index %d", p.index)
		}
		got = append(got, p.due)
		checkIndexes()
	}
	if !slices.Equal(got, want) {
		t.Errorf("pop order is not due order: got %d probes, want %d", len(got), len(want))
	}
}
