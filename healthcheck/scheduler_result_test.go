package healthcheck

import (
	"context"
	"net/netip"
	"sort"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestSchedulerOnResult: every finished check is reported once per real server its probe
// feeds (a probe two virtual servers share reports for both), with the check's outcome.
func TestSchedulerOnResult(t *testing.T) {
	lo := netip.MustParseAddr("127.0.0.1")
	up, down := tcpListener(t, lo), closedPort(t, lo)
	tm := Timing{DelayLoop: time.Hour, Retry: 1, DelayBeforeRetry: time.Hour}
	tcp := Check{Spec: TCPSpec{Conn{ConnectTimeout: time.Second}}, Timing: tm}
	rs := func(a netip.AddrPort) RealServer { return RealServer{Addr: a, Weight: 1, Checks: []Check{tcp}} }
	vss := []VirtualServer{
		{Name: "a", Quorum: 1, RealServers: []RealServer{rs(up), rs(down)}},
		{Name: "b", Quorum: 1, RealServers: []RealServer{rs(up)}},
	}
	type got struct {
		VS, RS, Checker string
		OK              bool
	}
	results := make(chan got, 10)
	s, err := New(vss, Options{OnResult: func(vs string, rs netip.AddrPort, checker string, r Result) {
		if r.OK != (r.Err == nil) || r.Latency <= 0 {
			t.Errorf("%s %s: result %+v", vs, rs, r)
		}
		results <- got{vs, rs.String(), checker, r.OK}
	}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- s.Run(ctx) }()
	// Two probes (up is shared by a and b), each run once within the hour's delay_loop.
	var all []got
	for len(all) < 3 {
		select {
		case g := <-results:
			all = append(all, g)
		case <-time.After(10 * time.Second):
			t.Fatalf("results so far: %+v", all)
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	sort.Slice(all, func(i, j int) bool { return all[i].VS+all[i].RS < all[j].VS+all[j].RS })
	want := []got{
		{"a", up.String(), "tcp_check " + up.String(), true},
		{"a", down.String(), "tcp_check " + down.String(), false},
		{"b", up.String(), "tcp_check " + up.String(), true},
	}
	sort.Slice(want, func(i, j int) bool { return want[i].VS+want[i].RS < want[j].VS+want[j].RS })
	if diff := cmp.Diff(want, all); diff != "" {
		t.Errorf("OnResult calls (-want +got):\n%s", diff)
	}
	if len(results) != 0 {
		t.Errorf("more results than checks run: %+v", <-results)
	}
}
