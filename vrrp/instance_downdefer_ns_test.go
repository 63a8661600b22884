package vrrp

import (
	"fmt"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/halvs/halvs/vrrp/vrrptest"
)

// parkedTransport is a RawTransport whose reader can be parked before its next read, so
// that what arrives meanwhile waits in the real socket, as behind a starved receive thread.
type parkedTransport struct {
	*RawTransport
	mu     sync.Mutex
	gate   chan struct{} // non-nil while parked
	parked chan struct{} // signalled when the reader reaches the gate
}

func (p *parkedTransport) Receive() (Packet, error) {
	p.mu.Lock()
	gate := p.gate
	p.mu.Unlock()
	if gate != nil {
		select {
		case p.parked <- struct{}{}:
		default:
		}
		<-gate
	}
	return p.RawTransport.Receive()
}

// TestDownTimerWaitsForUnreadAdvertsInSocket: a real Router as backup B on a raw socket in
// a namespace. Its reader is parked while A's next advert reaches B's socket and B's
// Master_Down deadline (from A's previous advert) passes; once the reader resumes, B reads
// the advert, received in time, and stays backup without ever taking over.
func TestDownTimerWaitsForUnreadAdvertsInSocket(t *testing.T) {
	_, _, h := newSegment(t, "10.77.0.1/24", "10.77.0.2/24")
	ta := dialIn(t, h[0].ns, "hk0", FamilyIPv4, TransportOptions{})
	var tb *parkedTransport
	var mu sync.Mutex
	var changes []StateChange
	r, err := NewRouter(Deps{
		Addresser: &vrrptest.Addresser{}, Announcer: &vrrptest.Announcer{}, Logger: testLogger(t),
		OpenTransport: func(TransportKey) (Transport, error) {
			tb = &parkedTransport{RawTransport: dialIn(t, h[1].ns, "hk0", FamilyIPv4, TransportOptions{}), parked: make(chan struct{}, 1)}
			return tb, nil
		},
		OnStateChange: func(c StateChange) { mu.Lock(); changes = append(changes, c); mu.Unlock() },
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.Shutdown)
	cfg := vi1(100)
	cfg.Interface = "hk0"
	if err := r.Apply([]InstanceConfig{cfg}, nil); err != nil {
		t.Fatal(err)
	}
	resume := func() {
		tb.mu.Lock()
		defer tb.mu.Unlock()
		if tb.gate != nil {
			close(tb.gate)
			tb.gate = nil
		}
	}
	t.Cleanup(resume) // before Shutdown, so that the reader sees the close

	advert := func(vrid uint8) []byte {
		adv := Advertisement{Version: 3, Type: TypeAdvertisement, VRID: vrid, Priority: 150,
			Interval: time.Second, Addrs: []netip.Addr{vipPfx.Addr()}}
		return mustMarshal(t, adv, ta.LocalAddr(), MulticastIPv4, CodecOptions{})
	}
	send := func(msg []byte) time.Time {
		t.Helper()
		at := time.Now()
		if err := ta.Send(MulticastIPv4, msg); err != nil {
			t.Fatal(err)
		}
		return at
	}
	inst := r.Instance("VI_1")
	first := send(advert(51))
	eventually(t, "B following A", func() (bool, string) {
		st := inst.Status()
		return st.State == StateBackup && st.MasterAddr == ta.LocalAddr(), st.State.String()
	})

	// Park B's reader: another VRID's message wakes it from the read it is blocked in, and
	// it parks before the next one.
	tb.mu.Lock()
	tb.gate = make(chan struct{})
	tb.mu.Unlock()
	send(advert(52))
	select {
	case <-tb.parked:
	case <-time.After(10 * time.Second):
		t.Fatal("B's reader did not park")
	}
	// A's next advert reaches B's socket 300 ms before B's deadline (younger than
	// maxStampAge when read, so it keeps its kernel receive time).
	deadline := first.Add(MasterDownInterval(3, 100, time.Second))
	time.Sleep(time.Until(deadline.Add(-300 * time.Millisecond)))
	send(advert(51))
	time.Sleep(time.Until(deadline.Add(30 * time.Millisecond)))
	if !tb.Pending() {
		t.Fatal("A's advert is not waiting in B's socket")
	}
	resume()
	eventually(t, "B reading A's second advert", func() (bool, string) {
		c := inst.Counters()
		return c.AdvertsReceived >= 2, fmt.Sprintf("%d adverts received", c.AdvertsReceived)
	})
	time.Sleep(100 * time.Millisecond)
	mu.Lock()
	defer mu.Unlock()
	for _, c := range changes {
		if c.To == StateMaster {
			t.Errorf("B took over at %v, %v after A's first advert, with A's second unread in its socket", c.At, c.At.Sub(first))
		}
	}
	if st := inst.Status(); st.State != StateBackup {
		t.Errorf("B is %v, want BACKUP", st.State)
	}
}
