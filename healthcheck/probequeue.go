package healthcheck

import "time"

// probeQueue is a min-heap of probes by due time: one timer serves every check. Each entry
// carries its due time as an integer so that ordering ten thousand probes a second compares
// values in one array instead of following a pointer into each probe (that chase was a tenth
// of the scheduler's own CPU at 10,000 checks a second).
type probeQueue struct {
	epoch   time.Time // due times are kept as offsets from it (monotonic with the real clock)
	entries []queued
}

type queued struct {
	at int64 // p.due - epoch, in nanoseconds
	p  *probe
}

func newProbeQueue(epoch time.Time) probeQueue { return probeQueue{epoch: epoch} }

func (q *probeQueue) len() int { return len(q.entries) }

// first returns the earliest probe; the queue must not be empty.
func (q *probeQueue) first() *probe { return q.entries[0].p }

// push schedules p at p.due.
func (q *probeQueue) push(p *probe) {
	q.entries = append(q.entries, queued{at: int64(p.due.Sub(q.epoch)), p: p})
	q.up(len(q.entries) - 1)
}

// pop removes and returns the earliest probe; the queue must not be empty.
func (q *probeQueue) pop() *probe {
	p := q.entries[0].p
	q.remove(0)
	return p
}

// remove unschedules the probe at index i.
func (q *probeQueue) remove(i int) {
	last := len(q.entries) - 1
	q.entries[i].p.index = -1
	if i != last {
		q.entries[i] = q.entries[last]
		q.entries[i].p.index = i
	}
	q.entries[last] = queued{}
	q.entries = q.entries[:last]
	if i != last {
		q.down(i)
		q.up(i)
	}
}

func (q *probeQueue) up(i int) {
	e := q.entries
	moving := e[i]
	for i > 0 {
		parent := (i - 1) / 2
		if e[parent].at <= moving.at {
			break
		}
		e[i] = e[parent]
		e[i].p.index = i
		i = parent
	}
	e[i] = moving
	moving.p.index = i
}

func (q *probeQueue) down(i int) {
	e := q.entries
	moving := e[i]
	for {
		child := 2*i + 1
		if child >= len(e) {
			break
		}
		if r := child + 1; r < len(e) && e[r].at < e[child].at {
			child = r
		}
		if moving.at <= e[child].at {
			break
		}
		e[i] = e[child]
		e[i].p.index = i
		i = child
	}
	e[i] = moving
	moving.p.index = i
}
