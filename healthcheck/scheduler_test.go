package healthcheck

import (
	"context"
	"net"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/halvs/halvs/internal/script"
)

// TestSchedulerEndToEnd runs the real scheduler against a real listener with short loops: the
// server goes down when the listener closes, comes back when it reopens, scripts run in order,
// Status follows, and omega runs notify_down on stop.
func TestSchedulerEndToEnd(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := netip.MustParseAddrPort(l.Addr().String())
	serve := func(l net.Listener) {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}
	go serve(l)
	t.Cleanup(func() { l.Close() })

	cmd := func(name string) *script.Command { return &script.Command{Argv: []string{name}} }
	tm := Timing{DelayLoop: 20 * time.Millisecond, Retry: 1, DelayBeforeRetry: 10 * time.Millisecond, Warmup: 20 * time.Millisecond}
	vss := []VirtualServer{{Name: "vs", Quorum: 1, Omega: true, QuorumUp: cmd("quorum_up"), QuorumDown: cmd("quorum_down"),
		RealServers: []RealServer{{Addr: addr, Weight: 3, InhibitOnFailure: true, NotifyUp: cmd("notify_up"), NotifyDown: cmd("notify_down"),
			Checks: []Check{{Spec: TCPSpec{Conn{ConnectTimeout: time.Second}}, Timing: tm}}}}}}

	events := make(chan Event, 100)
	var mu sync.Mutex
	var ran []string
	s, err := New(vss, Options{
		OnEvent: func(e Event) { events <- e },
		RunScript: func(_ context.Context, c script.Command) script.Result {
			mu.Lock()
			ran = append(ran, c.Argv[0])
			mu.Unlock()
			return script.Result{}
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- s.Run(ctx) }()

	type brief struct {
		Type    EventType
		Weight  int
		Inhibit bool
		Initial bool
	}
	expect := func(want ...brief) {
		t.Helper()
		for _, w := range want {
			select {
			case e := <-events:
				if diff := cmp.Diff(w, brief{e.Type, e.Weight, e.Inhibit, e.Initial}); diff != "" {
					t.Fatalf("event %+v (-want +got):\n%s", e, diff)
				}
			case <-time.After(10 * time.Second):
				t.Fatalf("no %v event", w.Type)
			}
		}
	}
	expect(brief{RealServerUp, 3, false, true}, brief{QuorumRegained, 3, false, true})
	waitRun := func() {
		t.Helper()
		for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
			if st := s.Status(); st[0].RealServers[0].Checks[0].HasRun {
				return
			}
		}
		t.Fatal("the check never ran")
	}
	waitRun()

	l.Close()
	expect(brief{RealServerDown, 3, true, false}, brief{QuorumLost, 0, false, false})
	st := s.Status()[0]
	if st.QuorumUp || st.RealServers[0].Alive || st.RealServers[0].Checks[0].LastError == "" {
		t.Errorf("status after failure: %+v", st)
	}

	l2, err := net.Listen("tcp", addr.String())
	if err != nil {
		t.Fatal(err)
	}
	go serve(l2)
	t.Cleanup(func() { l2.Close() })
	expect(brief{RealServerUp, 3, false, false}, brief{QuorumRegained, 3, false, false})

	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	want := []string{"notify_down", "quorum_down", "notify_up", "quorum_up", "notify_down", "quorum_down"}
	if diff := cmp.Diff(want, ran); diff != "" {
		t.Errorf("scripts (-want +got):\n%s", diff)
	}
}
