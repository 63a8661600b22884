package healthcheck

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestLogAllFailures: with log_all_failures every failed check of an up (or not yet run)
// checker is reported, the retries too, as keepalived logs them; failures of a checker that is
// already down are not; without it nothing is (the RealServerDown event carries the reason).
func TestLogAllFailures(t *testing.T) {
	const a = "10.0.0.1:80"
	// Up until 25 s: checks at 0, 10, 20 pass; 30 fails (1/3), 31 fails (2/3), 32 fails (3/3:
	// down), 42 and 52 fail while down, 62 passes.
	w := func(at time.Duration) Result { return okIf(at < 25*time.Second || at >= 60*time.Second) }
	tests := []struct {
		name   string
		timing Timing
		want   []string
	}{
		{name: "log_all_failures", timing: Timing{DelayLoop: 10 * time.Second, Retry: 2, DelayBeforeRetry: time.Second, LogAllFailures: true},
			want: []string{"30s 1/3", "31s 2/3", "32s 3/3"}},
		{name: "default", timing: Timing{DelayLoop: 10 * time.Second, Retry: 2, DelayBeforeRetry: time.Second}},
		{name: "first check fails", timing: Timing{DelayLoop: 10 * time.Second, Retry: 1, DelayBeforeRetry: time.Second, LogAllFailures: true, Alpha: true},
			want: []string{"0s 2/2"}}, // a first check gets no retries (keepalived): its failure is the last
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			world := w
			if tt.timing.Alpha {
				world = func(at time.Duration) Result { return okIf(at >= 5*time.Second) }
			}
			e, _, err := newEngine([]VirtualServer{{Name: "vs", Quorum: 1, RealServers: []RealServer{rs(a, 1, tcp(80, tt.timing))}}},
				t0, rand.New(rand.NewPCG(1, 2)), 0)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for {
				next, ok := e.next()
				if !ok || next.Sub(t0) > 70*time.Second {
					break
				}
				for _, p := range e.due(next, nil) {
					out := e.result(p, world(next.Sub(t0)), next)
					for _, f := range out.failures {
						if f.checker != "tcp_check 10.0.0.1:80" || f.err == nil {
							t.Errorf("failure %+v: want the checker's name and error", f)
						}
						got = append(got, fmt.Sprintf("%v %d/%d", next.Sub(t0), f.attempt, f.attempts))
					}
				}
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("logged failures (-want +got):\n%s", diff)
			}
		})
	}
}
