package healthcheck

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/halvs/halvs/internal/script"
)

var t0 = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)

// world says what each probe (by checker name) answers at a time since t0.
type world map[string]func(at time.Duration) Result

func upUntil(d time.Duration) func(time.Duration) Result {
	return func(at time.Duration) Result { return okIf(at < d) }
}
func downBetween(from, to time.Duration) func(time.Duration) Result {
	return func(at time.Duration) Result { return okIf(at < from || at >= to) }
}
func always(ok bool) func(time.Duration) Result {
	return func(time.Duration) Result { return okIf(ok) }
}
func okIf(ok bool) Result {
	if ok {
		return Result{OK: true}
	}
	return Result{Err: errors.New("connection refused")}
}

// ev is the comparable part of an event: when (since t0), what, which server, which weight.
type ev struct {
	At     time.Duration
	Type   EventType
	Server string // real server address, or the virtual server name for quorum events
	Weight int
}

func (e ev) String() string { return fmt.Sprintf("%v %v %s w=%d", e.At, e.Type, e.Server, e.Weight) }

// simulate runs the engine against w from t0 to t0+end, every probe answering instantly, and
// returns the non-initial events and the scripts run (as "at reason").
func simulate(t *testing.T, vss []VirtualServer, w world, end time.Duration) (initial, evs []ev, scripts []string) {
	t.Helper()
	e, out, err := newEngine(vss, t0, rand.New(rand.NewPCG(1, 2)), 0)
	if err != nil {
		t.Fatalf("newEngine: %v", err)
	}
	conv := func(out output, at time.Duration, dst *[]ev) {
		for _, x := range out.events {
			name := x.RealServer.String()
			if !x.RealServer.IsValid() {
				name = x.VirtualServer
			}
			*dst = append(*dst, ev{At: x.Time.Sub(t0), Type: x.Type, Server: name, Weight: x.Weight})
		}
		for _, s := range out.scripts {
			scripts = append(scripts, fmt.Sprintf("%v %s", at, s.reason))
		}
	}
	conv(out, 0, &initial)
	for {
		next, ok := e.next()
		if !ok || next.Sub(t0) > end {
			break
		}
		for _, p := range e.due(next, nil) {
			f, ok := w[p.checker.String()]
			if !ok {
				t.Fatalf("no world answer for %s", p.checker)
			}
			conv(e.result(p, f(next.Sub(t0)), next), next.Sub(t0), &evs)
		}
	}
	return initial, evs, scripts
}

func tcp(port uint16, tm Timing) Check {
	return Check{Spec: TCPSpec{Conn{ConnectPort: port}}, Timing: tm}
}

func rs(addr string, weight int, checks ...Check) RealServer {
	return RealServer{Addr: netip.MustParseAddrPort(addr), Weight: weight, Checks: checks}
}

// timing is keepalived's default TCP timing scaled to 10 s loops without warmup or jitter, so
// event times are exact.
var timing = Timing{DelayLoop: 10 * time.Second, Retry: 1, DelayBeforeRetry: time.Second}

func withRetry(tm Timing, n int) Timing { tm.Retry = n; return tm }
func withAlpha(tm Timing) Timing        { tm.Alpha = true; return tm }

func TestEngineRetryRules(t *testing.T) {
	const a = "10.0.0.1:80"
	probeA := "tcp_check 10.0.0.1:80"
	tests := []struct {
		name    string
		tm      Timing
		answer  func(time.Duration) Result
		end     time.Duration
		initial []ev
		want    []ev
	}{
		{
			name:    "healthy server raises nothing",
			tm:      timing,
			answer:  always(true),
			end:     time.Minute,
			initial: []ev{{0, RealServerUp, a, 3}, {0, QuorumRegained, "vs", 3}},
		},
		{
			// Checks at 0,10,20,30: the failure at 30 is retried at 31 (retry 1) and the second
			// failure takes the server down: retry+1 failures.
			name:    "down after retry+1 failures",
			tm:      timing,
			answer:  upUntil(25 * time.Second),
			end:     time.Minute,
			initial: []ev{{0, RealServerUp, a, 3}, {0, QuorumRegained, "vs", 3}},
			want:    []ev{{31 * time.Second, RealServerDown, a, 3}, {31 * time.Second, QuorumLost, "vs", 0}},
		},
		{
			name:    "retry 3 waits for four failures",
			tm:      withRetry(timing, 3),
			answer:  upUntil(25 * time.Second),
			end:     time.Minute,
			initial: []ev{{0, RealServerUp, a, 3}, {0, QuorumRegained, "vs", 3}},
			want:    []ev{{33 * time.Second, RealServerDown, a, 3}, {33 * time.Second, QuorumLost, "vs", 0}},
		},
		{
			// A failure then a success during the retries resets the count.
			name: "success during retries resets",
			tm:   withRetry(timing, 2),
			answer: func(at time.Duration) Result {
				return okIf(at != 30*time.Second && at != 41*time.Second)
			},
			end:     time.Minute,
			initial: []ev{{0, RealServerUp, a, 3}, {0, QuorumRegained, "vs", 3}},
		},
		{
			name:    "first check failing takes the server down without retries",
			tm:      withRetry(timing, 3),
			answer:  always(false),
			end:     time.Minute,
			initial: []ev{{0, RealServerUp, a, 3}, {0, QuorumRegained, "vs", 3}},
			want:    []ev{{0, RealServerDown, a, 3}, {0, QuorumLost, "vs", 0}},
		},
		{
			// Down at 31 (checks 30, 31); while down, checks stay delay_loop apart (41, 51): the
			// first success at 51 brings it back, no rise count.
			name:    "one success brings a down server back",
			tm:      timing,
			answer:  downBetween(25*time.Second, 45*time.Second),
			end:     time.Minute,
			initial: []ev{{0, RealServerUp, a, 3}, {0, QuorumRegained, "vs", 3}},
			want: []ev{
				{31 * time.Second, RealServerDown, a, 3}, {31 * time.Second, QuorumLost, "vs", 0},
				{51 * time.Second, RealServerUp, a, 3}, {51 * time.Second, QuorumRegained, "vs", 3},
			},
		},
		{
			name:    "alpha starts down until the first success",
			tm:      withAlpha(timing),
			answer:  always(true),
			end:     time.Minute,
			initial: []ev{{0, RealServerDown, a, 3}, {0, QuorumLost, "vs", 0}},
			want:    []ev{{0, RealServerUp, a, 3}, {0, QuorumRegained, "vs", 3}},
		},
		{
			name:    "alpha server that never answers stays down silently",
			tm:      withAlpha(timing),
			answer:  always(false),
			end:     time.Minute,
			initial: []ev{{0, RealServerDown, a, 3}, {0, QuorumLost, "vs", 0}},
		},
		{
			// After the first success, alpha behaves as usual: retries apply.
			name:    "alpha then retries as usual",
			tm:      withAlpha(timing),
			answer:  upUntil(25 * time.Second),
			end:     time.Minute,
			initial: []ev{{0, RealServerDown, a, 3}, {0, QuorumLost, "vs", 0}},
			want: []ev{
				{0, RealServerUp, a, 3}, {0, QuorumRegained, "vs", 3},
				{31 * time.Second, RealServerDown, a, 3}, {31 * time.Second, QuorumLost, "vs", 0},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			vss := []VirtualServer{{Name: "vs", Quorum: 1, RealServers: []RealServer{rs(a, 3, tcp(0, tt.tm))}}}
			initial, got, _ := simulate(t, vss, world{probeA: tt.answer}, tt.end)
			if diff := cmp.Diff(tt.initial, initial); diff != "" {
				t.Errorf("initial events (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("events (-want +got):\n%s", diff)
			}
		})
	}
}

// TestEngineAllCheckersMustPass: a server with two checkers is up only while both pass.
func TestEngineAllCheckersMustPass(t *testing.T) {
	const a = "10.0.0.1:80"
	vss := []VirtualServer{{Name: "vs", Quorum: 1, RealServers: []RealServer{rs(a, 1, tcp(80, timing), tcp(443, timing))}}}
	w := world{
		"tcp_check 10.0.0.1:80":  always(true),
		"tcp_check 10.0.0.1:443": downBetween(15*time.Second, 35*time.Second),
	}
	_, got, _ := simulate(t, vss, w, time.Minute)
	want := []ev{
		{21 * time.Second, RealServerDown, a, 1}, {21 * time.Second, QuorumLost, "vs", 0},
		{41 * time.Second, RealServerUp, a, 1}, {41 * time.Second, QuorumRegained, "vs", 1},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
}

// TestEngineQuorumHysteresis follows keepalived's update_quorum_state: with quorum 2 and
// hysteresis 1, quorum is lost below 1 (or at 0) and regained at 3.
func TestEngineQuorumHysteresis(t *testing.T) {
	tm := Timing{DelayLoop: 10 * time.Second, DelayBeforeRetry: time.Second} // retry 0: down at once
	vss := []VirtualServer{{Name: "vs", Quorum: 2, Hysteresis: 1, RealServers: []RealServer{
		rs("10.0.0.1:80", 1, tcp(0, tm)), rs("10.0.0.2:80", 1, tcp(0, tm)), rs("10.0.0.3:80", 1, tcp(0, tm)),
	}}}
	// Servers fail one by one (at 10, 20, 30 s) and return one by one (at 40, 50, 60 s).
	w := world{
		"tcp_check 10.0.0.1:80": downBetween(5*time.Second, 35*time.Second),
		"tcp_check 10.0.0.2:80": downBetween(15*time.Second, 45*time.Second),
		"tcp_check 10.0.0.3:80": downBetween(25*time.Second, 55*time.Second),
	}
	initial, got, _ := simulate(t, vss, w, 65*time.Second)
	s := time.Second
	wantInitial := []ev{
		{0, RealServerUp, "10.0.0.1:80", 1}, {0, RealServerUp, "10.0.0.2:80", 1}, {0, RealServerUp, "10.0.0.3:80", 1},
		{0, QuorumRegained, "vs", 3},
	}
	want := []ev{
		{10 * s, RealServerDown, "10.0.0.1:80", 1}, // sum 2: above 2−1
		{20 * s, RealServerDown, "10.0.0.2:80", 1}, // sum 1: not below 1, quorum holds
		{30 * s, RealServerDown, "10.0.0.3:80", 1}, {30 * s, QuorumLost, "vs", 0},
		{40 * s, RealServerUp, "10.0.0.1:80", 1}, // sum 1 < 2+1
		{50 * s, RealServerUp, "10.0.0.2:80", 1}, // sum 2 < 3
		{60 * s, RealServerUp, "10.0.0.3:80", 1}, {60 * s, QuorumRegained, "vs", 3},
	}
	if diff := cmp.Diff(wantInitial, initial); diff != "" {
		t.Errorf("initial events (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
}

func TestEngineQuorumInitial(t *testing.T) {
	tests := []struct {
		name             string
		quorum, hyst     int
		alpha            bool
		sorry            bool
		wantUp           bool
		wantQuorumScript bool
	}{
		{name: "enough weight", quorum: 2, wantUp: true},
		{name: "start needs quorum+hysteresis", quorum: 2, hyst: 1},
		{name: "alpha servers start with nothing", quorum: 1, alpha: true},
		{name: "sorry server announced at start", quorum: 3, sorry: true, wantQuorumScript: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tm := timing
			tm.Alpha = tt.alpha
			vs := VirtualServer{Name: "vs", Quorum: tt.quorum, Hysteresis: tt.hyst, SorryServer: tt.sorry,
				QuorumDown:  &script.Command{Argv: []string{"/bin/true"}},
				RealServers: []RealServer{rs("10.0.0.1:80", 1, tcp(0, tm)), rs("10.0.0.2:80", 1, tcp(0, tm))}}
			_, out, err := newEngine([]VirtualServer{vs}, t0, rand.New(rand.NewPCG(1, 2)), 0)
			if err != nil {
				t.Fatal(err)
			}
			q := out.events[len(out.events)-1]
			if got := q.Type == QuorumRegained; got != tt.wantUp || !q.Initial || q.SorryServer != tt.sorry {
				t.Errorf("initial quorum event %+v, want up=%v sorry=%v", q, tt.wantUp, tt.sorry)
			}
			if got := len(out.scripts) == 1; got != tt.wantQuorumScript {
				t.Errorf("scripts at start %v, want quorum_down: %v", out.scripts, tt.wantQuorumScript)
			}
		})
	}
}

// TestEngineDynamicWeight: misc_dynamic exit codes set the weight (code − 2); the change is an
// event and counts for quorum; failure drops the dynamic weight.
func TestEngineDynamicWeight(t *testing.T) {
	const a = "10.0.0.1:80"
	dyn := func(w int) Result { return Result{OK: true, DynamicWeight: &w} }
	tm := Timing{DelayLoop: 10 * time.Second}
	vss := []VirtualServer{{Name: "vs", Quorum: 5, RealServers: []RealServer{
		{Addr: netip.MustParseAddrPort(a), Weight: 10, Checks: []Check{{Spec: MiscSpec{Argv: []string{"/bin/check"}}, Timing: tm}}},
	}}}
	answers := map[time.Duration]Result{
		0: {OK: true}, 10 * time.Second: dyn(3), 20 * time.Second: dyn(3), 30 * time.Second: dyn(7),
		40 * time.Second: okIf(false), 50 * time.Second: {OK: true},
	}
	w := world{"misc_check /bin/check": func(at time.Duration) Result { return answers[at] }}
	_, got, _ := simulate(t, vss, w, 55*time.Second)
	s := time.Second
	want := []ev{
		{10 * s, WeightChanged, a, 3}, {10 * s, QuorumLost, "vs", 3},
		{30 * s, WeightChanged, a, 7}, {30 * s, QuorumRegained, "vs", 7},
		{40 * s, RealServerDown, a, 10}, {40 * s, QuorumLost, "vs", 0},
		{50 * s, RealServerUp, a, 10}, {50 * s, QuorumRegained, "vs", 10},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
}

// TestEngineSharedProbe: the same check on the same target in two virtual servers runs once and
// feeds both.
func TestEngineSharedProbe(t *testing.T) {
	vss := []VirtualServer{
		{Name: "vs-a", Quorum: 1, RealServers: []RealServer{rs("10.0.0.1:80", 1, tcp(0, timing))}},
		{Name: "vs-b", Quorum: 1, RealServers: []RealServer{rs("10.0.0.1:80", 2, tcp(0, timing), tcp(8080, timing))}},
	}
	e, _, err := newEngine(vss, t0, rand.New(rand.NewPCG(1, 2)), 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(e.probes) != 2 {
		t.Errorf("probes = %d, want 2 (the :80 check shared)", len(e.probes))
	}
	w := world{"tcp_check 10.0.0.1:80": upUntil(15 * time.Second), "tcp_check 10.0.0.1:8080": always(true)}
	_, got, _ := simulate(t, vss, w, 30*time.Second)
	s := time.Second
	want := []ev{
		{21 * s, RealServerDown, "10.0.0.1:80", 1}, {21 * s, QuorumLost, "vs-a", 0},
		{21 * s, RealServerDown, "10.0.0.1:80", 2}, {21 * s, QuorumLost, "vs-b", 0},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
	// Different timing is a different probe.
	vss[1].RealServers[0].Checks[0].Timing.DelayLoop = 5 * time.Second
	if e, _, _ = newEngine(vss, t0, rand.New(rand.NewPCG(1, 2)), 0); len(e.probes) != 3 {
		t.Errorf("probes with different delay_loop = %d, want 3", len(e.probes))
	}
}

func TestEngineScripts(t *testing.T) {
	cmd := func(name string) *script.Command { return &script.Command{Argv: []string{"/bin/" + name}} }
	tm := Timing{DelayLoop: 10 * time.Second}
	mk := func(alpha bool) []VirtualServer {
		tm := tm
		tm.Alpha = alpha
		return []VirtualServer{{Name: "vs", Quorum: 1, Omega: true, QuorumUp: cmd("qup"), QuorumDown: cmd("qdown"),
			RealServers: []RealServer{{Addr: netip.MustParseAddrPort("10.0.0.1:80"), Weight: 1,
				NotifyUp: cmd("up"), NotifyDown: cmd("down"), Checks: []Check{tcp(0, tm)}}}}}
	}
	tests := []struct {
		name   string
		alpha  bool
		answer func(time.Duration) Result
		want   []string
	}{
		{"down and up", false, downBetween(5*time.Second, 15*time.Second), []string{
			"10s notify_down 10.0.0.1:80", "10s quorum_down vs", "20s notify_up 10.0.0.1:80", "20s quorum_up vs"}},
		{"alpha first failure notifies down once", true, always(false), []string{"0s notify_down 10.0.0.1:80"}},
		{"alpha first success notifies up", true, always(true), []string{"0s notify_up 10.0.0.1:80", "0s quorum_up vs"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, got := simulate(t, mk(tt.alpha), world{"tcp_check 10.0.0.1:80": tt.answer}, 25*time.Second)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("scripts (-want +got):\n%s", diff)
			}
		})
	}
}

func TestEngineOmega(t *testing.T) {
	cmd := &script.Command{Argv: []string{"/bin/down"}}
	vss := []VirtualServer{
		{Name: "omega", Quorum: 1, Omega: true, QuorumDown: cmd, RealServers: []RealServer{
			{Addr: netip.MustParseAddrPort("10.0.0.1:80"), Weight: 1, NotifyDown: cmd, Checks: []Check{tcp(0, timing)}},
			{Addr: netip.MustParseAddrPort("10.0.0.2:80"), Weight: 1, NotifyDown: cmd, Checks: []Check{tcp(0, withAlpha(timing))}},
		}},
		{Name: "plain", Quorum: 1, QuorumDown: cmd, RealServers: []RealServer{
			{Addr: netip.MustParseAddrPort("10.0.0.3:80"), Weight: 1, NotifyDown: cmd},
		}},
	}
	e, _, err := newEngine(vss, t0, rand.New(rand.NewPCG(1, 2)), 0)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, s := range e.stop().scripts {
		got = append(got, s.reason)
	}
	want := []string{"notify_down 10.0.0.1:80 (omega)", "quorum_down omega (omega)"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("omega scripts (-want +got):\n%s", diff)
	}
}

func TestEngineInhibitAndSorryInEvents(t *testing.T) {
	vss := []VirtualServer{{Name: "vs", Quorum: 1, SorryServer: true, RealServers: []RealServer{
		{Addr: netip.MustParseAddrPort("10.0.0.1:80"), Weight: 3, InhibitOnFailure: true, Checks: []Check{tcp(0, withRetry(timing, 0))}},
	}}}
	e, _, err := newEngine(vss, t0, rand.New(rand.NewPCG(1, 2)), 0)
	if err != nil {
		t.Fatal(err)
	}
	p := e.due(t0, nil)[0]
	out := e.result(p, okIf(false), t0)
	want := []Event{
		{Type: RealServerDown, Time: t0, VirtualServer: "vs", RealServer: netip.MustParseAddrPort("10.0.0.1:80"), Weight: 3, Inhibit: true,
			Reason: "tcp_check 10.0.0.1:80: connection refused"},
		{Type: QuorumLost, Time: t0, VirtualServer: "vs", SorryServer: true},
	}
	if diff := cmp.Diff(want, out.events, cmp.Comparer(func(a, b netip.AddrPort) bool { return a == b })); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
}

// TestEngineWarmupAndJitter: first checks spread over [0, warmup); later ones stay within the
// jitter of delay_loop.
func TestEngineWarmupAndJitter(t *testing.T) {
	tm := Timing{DelayLoop: time.Second, Retry: 1, DelayBeforeRetry: time.Second, Warmup: time.Second}
	var servers []RealServer
	for i := range 1000 {
		servers = append(servers, rs(fmt.Sprintf("10.0.%d.%d:80", i/250, i%250+1), 1, tcp(0, tm)))
	}
	e, _, err := newEngine([]VirtualServer{{Name: "vs", Quorum: 1, RealServers: servers}}, t0, rand.New(rand.NewPCG(1, 2)), 10*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	perMs := map[time.Duration]int{}
	for _, q := range e.queue.entries {
		p := q.p
		off := p.due.Sub(t0)
		if off < 0 || off >= tm.Warmup {
			t.Fatalf("first check at %v, outside [0, %v)", off, tm.Warmup)
		}
		perMs[off.Truncate(time.Millisecond)]++
	}
	busiest := 0
	for _, n := range perMs {
		busiest = max(busiest, n)
	}
	if busiest > 10 {
		t.Errorf("%d of 1000 first checks in one millisecond; warmup should spread them", busiest)
	}
	// Run one round and check the next due times: delay_loop ± 5 ms (min(10 ms, 1 s/10) / 2).
	now := t0.Add(tm.Warmup)
	for _, p := range e.due(now, nil) {
		e.result(p, Result{OK: true}, now)
	}
	for _, q := range e.queue.entries {
		p := q.p
		if d := p.due.Sub(now); d < tm.DelayLoop-5*time.Millisecond || d > tm.DelayLoop+5*time.Millisecond {
			t.Fatalf("next check in %v, want %v ± 5ms", d, tm.DelayLoop)
		}
	}
}

func TestEngineRejectsBadConfig(t *testing.T) {
	good := rs("10.0.0.1:80", 1, tcp(0, timing))
	tests := []struct {
		name string
		vss  []VirtualServer
	}{
		{"no name", []VirtualServer{{Quorum: 1}}},
		{"duplicate name", []VirtualServer{{Name: "a", Quorum: 1}, {Name: "a", Quorum: 1}}},
		{"quorum 0", []VirtualServer{{Name: "a"}}},
		{"negative hysteresis", []VirtualServer{{Name: "a", Quorum: 1, Hysteresis: -1}}},
		{"duplicate real server", []VirtualServer{{Name: "a", Quorum: 1, RealServers: []RealServer{good, good}}}},
		{"negative weight", []VirtualServer{{Name: "a", Quorum: 1, RealServers: []RealServer{rs("10.0.0.1:80", -1)}}}},
		{"zero delay_loop", []VirtualServer{{Name: "a", Quorum: 1, RealServers: []RealServer{rs("10.0.0.1:80", 1, tcp(0, Timing{}))}}}},
		{"bad checker", []VirtualServer{{Name: "a", Quorum: 1, RealServers: []RealServer{rs("10.0.0.1:0", 1, tcp(0, timing))}}}},
		{"bad script", []VirtualServer{{Name: "a", Quorum: 1, QuorumUp: &script.Command{}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, _, err := newEngine(tt.vss, t0, rand.New(rand.NewPCG(1, 2)), 0); err == nil {
				t.Error("newEngine succeeded, want an error")
			}
		})
	}
}

// TestEngineBatchWindow: checks may start up to 10 ms early to share a timer wake-up, but never
// by more than a hundredth of any probe's delay_loop or delay_before_retry; a reload
// recomputes it.
func TestEngineBatchWindow(t *testing.T) {
	slow := Timing{DelayLoop: 6 * time.Second, Retry: 1, DelayBeforeRetry: 3 * time.Second}
	fast := Timing{DelayLoop: 200 * time.Millisecond, Retry: 1, DelayBeforeRetry: time.Second}
	retry := Timing{DelayLoop: time.Second, Retry: 1, DelayBeforeRetry: 500 * time.Millisecond}
	vs := func(tms ...Timing) []VirtualServer {
		v := VirtualServer{Name: "vs", Quorum: 1}
		for i, tm := range tms {
			v.RealServers = append(v.RealServers, rs(fmt.Sprintf("10.0.0.%d:80", i+1), 1, tcp(0, tm)))
		}
		return []VirtualServer{v}
	}
	e, _, err := newEngine(vs(slow), t0, rand.New(rand.NewPCG(1, 2)), 10*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	for _, step := range []struct {
		vss  []VirtualServer
		want time.Duration
	}{
		{vs(slow), 10 * time.Millisecond},
		{vs(slow, fast), 2 * time.Millisecond},
		{vs(slow, retry), 5 * time.Millisecond},
		{vs(slow), 10 * time.Millisecond},
	} {
		if _, err := e.update(step.vss, t0); err != nil {
			t.Fatal(err)
		}
		if e.window != step.want {
			t.Errorf("window with %d real servers = %v, want %v", len(step.vss[0].RealServers), e.window, step.want)
		}
	}
}
