package director

import "sync"

// queue runs jobs one at a time, in the order they were queued, on its own goroutine. Queuing
// never blocks, so a VRRP notify worker or the health scheduler handing work to the director
// never waits on netlink or IPVS.
type queue struct {
	mu     sync.Mutex
	jobs   []func()
	closed bool
	ready  chan struct{}
	done   chan struct{}
}

func newQueue() *queue {
	q := &queue{ready: make(chan struct{}, 1), done: make(chan struct{})}
	go q.loop()
	return q
}

// do queues f; after close it is dropped.
func (q *queue) do(f func()) {
	q.mu.Lock()
	if q.closed {
		q.mu.Unlock()
		return
	}
	q.jobs = append(q.jobs, f)
	q.mu.Unlock()
	select {
	case q.ready <- struct{}{}:
	default:
	}
}

// wait runs f on the queue and returns when it has run, after everything queued before it.
func (q *queue) wait(f func()) {
	ran := make(chan struct{})
	q.do(func() { f(); close(ran) })
	select {
	case <-ran:
	case <-q.done:
	}
}

func (q *queue) loop() {
	defer close(q.done)
	for range q.ready {
		for {
			q.mu.Lock()
			jobs := q.jobs
			q.jobs = nil
			closed := q.closed
			q.mu.Unlock()
			for _, f := range jobs {
				f()
			}
			if len(jobs) == 0 {
				if closed {
					return
				}
				break
			}
		}
	}
}

// close runs what is queued, then ends the goroutine; it waits for both.
func (q *queue) close() {
	q.mu.Lock()
	if q.closed {
		q.mu.Unlock()
		<-q.done
		return
	}
	q.closed = true
	q.mu.Unlock()
	select {
	case q.ready <- struct{}{}:
	default:
	}
	<-q.done
}
