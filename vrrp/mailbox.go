package vrrp

import "sync"

// PacketQueueLimit is how many received messages an instance's mailbox holds before it
// drops more (counted as DropQueueFull). A healthy segment brings one advert per peer per
// interval; a thousand waiting means the loop is flooded, and older ones are stale anyway.
const PacketQueueLimit = 1024

// inbox is an instance's mailbox. No sender ever blocks on it. It has two lanes:
//
//   - control (reload and tracker functions, failover, link changes, sync group events,
//     startup and shutdown): never dropped, and taken before anything in the other lane, so
//     that a flood of adverts cannot delay a failover or a shutdown;
//   - ordered (received messages and timer expiries): in arrival order, since a timer must
//     not overtake an advert that arrived before it expired. Messages beyond limit are
//     dropped; timers never are (an instance arms one at a time).
type inbox struct {
	limit int
	ready chan struct{} // holds a token while an input is queued
	wake  func()        // also called on every put when set (advertThread.signal)

	mu      sync.Mutex
	control fifo
	ordered fifo
	packets int  // messages in ordered
	busy    bool // the consumer is handling an input (for idle detection in tests)
}

func newInbox(limit int) *inbox {
	return &inbox{limit: limit, ready: make(chan struct{}, 1)}
}

// put queues in. It reports false, queueing nothing, for a received message when limit
// messages are already waiting.
func (b *inbox) put(in input) bool {
	b.mu.Lock()
	switch {
	case in.pkt != nil:
		if b.packets >= b.limit {
			b.mu.Unlock()
			return false
		}
		b.packets++
		b.ordered.push(in)
	case in.timerGen != 0:
		b.ordered.push(in)
	default:
		b.control.push(in)
	}
	b.mu.Unlock()
	select {
	case b.ready <- struct{}{}:
	default:
	}
	if b.wake != nil {
		b.wake()
	}
	return true
}

// next removes the input to handle next and marks the consumer busy until done; false when
// nothing is queued.
func (b *inbox) next() (input, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	in, ok := b.control.pop()
	if !ok {
		in, ok = b.ordered.pop()
		if ok && in.pkt != nil {
			b.packets--
		}
	}
	b.busy = ok
	return in, ok
}

func (b *inbox) done() {
	b.mu.Lock()
	b.busy = false
	b.mu.Unlock()
}

func (b *inbox) idle() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.control.len() == 0 && b.ordered.len() == 0 && !b.busy
}

// fifo is a queue of inputs that releases what it has handed out.
type fifo struct {
	items []input
	head  int
}

func (q *fifo) push(in input) { q.items = append(q.items, in) }

func (q *fifo) len() int { return len(q.items) - q.head }

func (q *fifo) pop() (input, bool) {
	if q.head == len(q.items) {
		return input{}, false
	}
	in := q.items[q.head]
	q.items[q.head] = input{} // the packet and closures go with it
	q.head++
	if q.head == len(q.items) {
		q.items, q.head = q.items[:0], 0
	} else if q.head >= 64 && q.head*2 >= len(q.items) {
		// Move the live half to the front, so that a queue that never empties stays small.
		n := copy(q.items, q.items[q.head:])
		clear(q.items[n:])
		q.items, q.head = q.items[:n], 0
	}
	return in, true
}
