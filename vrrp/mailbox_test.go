package vrrp

import (
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestInboxOrder: control inputs go before anything queued earlier; messages and timer
// expiries keep their arrival order among themselves.
func TestInboxOrder(t *testing.T) {
	pkt := func(n int) input { return input{pkt: &Packet{HopLimit: n}} }
	timer := func(n int) input { return input{timerGen: uint64(n)} }
	ctl := func(n int) input { return input{ev: PriorityChanged{Priority: uint8(n)}} }
	label := func(in input) string {
		switch {
		case in.pkt != nil:
			return fmt.Sprintf("packet %d", in.pkt.HopLimit)
		case in.timerGen != 0:
			return fmt.Sprintf("timer %d", in.timerGen)
		case in.stop:
			return "stop"
		}
		return fmt.Sprintf("control %d", in.ev.(PriorityChanged).Priority)
	}
	tests := []struct {
		name string
		put  []input
		want []string
	}{
		{"control overtakes messages", []input{pkt(1), pkt(2), ctl(1)}, []string{"control 1", "packet 1", "packet 2"}},
		{"controls in their order", []input{ctl(1), pkt(1), ctl(2), input{stop: true}}, []string{"control 1", "control 2", "stop", "packet 1"}},
		{"a timer does not overtake a message", []input{pkt(1), timer(7), pkt(2)}, []string{"packet 1", "timer 7", "packet 2"}},
		{"control overtakes a timer", []input{timer(7), ctl(1)}, []string{"control 1", "timer 7"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := newInbox(10)
			for _, in := range tt.put {
				if !b.put(in) {
					t.Fatalf("put %s refused", label(in))
				}
			}
			var got []string
			for {
				in, ok := b.next()
				if !ok {
					break
				}
				got = append(got, label(in))
				b.done()
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("order (-want +got):\n%s", diff)
			}
			if !b.idle() {
				t.Error("not idle once emptied")
			}
		})
	}
}

// TestInboxBound: messages beyond the limit are refused; timers and control inputs never
// are, and do not use up the messages' room.
func TestInboxBound(t *testing.T) {
	const limit = 4
	b := newInbox(limit)
	for n := range limit {
		if !b.put(input{pkt: &Packet{HopLimit: n}}) {
			t.Fatalf("message %d of %d refused", n+1, limit)
		}
	}
	if b.put(input{pkt: &Packet{}}) {
		t.Fatal("message beyond the limit queued")
	}
	for n := range 3 * limit {
		if !b.put(input{timerGen: uint64(n + 1)}) || !b.put(input{fn: func() {}}) {
			t.Fatal("a timer or control input refused by a full inbox")
		}
	}
	// Taking a message makes room for exactly one more, once the inputs ahead are taken.
	for {
		in, _ := b.next()
		b.done()
		if in.pkt != nil {
			break
		}
	}
	if !b.put(input{pkt: &Packet{}}) {
		t.Error("no room after a message was taken")
	}
	if b.put(input{pkt: &Packet{}}) {
		t.Error("two messages queued in the room of one")
	}
	got := 0
	for {
		in, ok := b.next()
		if !ok {
			break
		}
		if in.pkt != nil {
			got++
		}
		b.done()
	}
	if got != limit {
		t.Errorf("%d messages came out, want %d", got, limit)
	}
}

// TestFifoStaysSmall: a queue that never quite empties does not keep every input it ever
// held.
func TestFifoStaysSmall(t *testing.T) {
	var q fifo
	for n := range 100_000 {
		q.push(input{timerGen: uint64(n + 1)})
		q.push(input{timerGen: uint64(n + 1)})
		if _, ok := q.pop(); !ok {
			t.Fatal("pop from a non-empty queue failed")
		}
		if n%2 == 0 {
			q.pop()
		}
	}
	if live := q.len(); cap(q.items) > 4*live+128 {
		t.Errorf("%d inputs live in a backing array of %d", live, cap(q.items))
	}
}
