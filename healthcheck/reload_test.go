package healthcheck

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/halvs/halvs/internal/script"
)

// sim steps an engine through a world, every probe answering instantly, recording events and
// scripts as the engine decides them.
type sim struct {
	t       *testing.T
	e       *engine
	w       world
	scripts []string
}

// evf is an event with its flags, for reload tests where Initial, Inhibit and SorryServer matter.
type evf struct {
	At     time.Duration
	Type   EventType
	Server string
	Weight int
	Flags  string // "initial", "inhibit", "sorry", space separated
}

func (s *sim) record(out output, at time.Duration) []evf {
	var evs []evf
	for _, x := range out.events {
		name := x.RealServer.String()
		if !x.RealServer.IsValid() {
			name = x.VirtualServer
		}
		var flags []string
		for _, f := range []struct {
			on   bool
			name string
		}{{x.Initial, "initial"}, {x.Inhibit, "inhibit"}, {x.SorryServer, "sorry"}} {
			if f.on {
				flags = append(flags, f.name)
			}
		}
		evs = append(evs, evf{At: x.Time.Sub(t0), Type: x.Type, Server: name, Weight: x.Weight, Flags: strings.Join(flags, " ")})
	}
	for _, sc := range out.scripts {
		s.scripts = append(s.scripts, fmt.Sprintf("%v %s", at, sc.reason))
	}
	return evs
}

// run processes every check due up to t0+end.
func (s *sim) run(end time.Duration) []evf {
	var evs []evf
	for {
		next, ok := s.e.next()
		if !ok || next.Sub(t0) > end {
			return evs
		}
		for _, p := range s.e.due(next, nil) {
			f, ok := s.w[p.checker.String()]
			if !ok {
				s.t.Fatalf("no world answer for %s", p.checker)
			}
			evs = append(evs, s.record(s.e.result(p, f(next.Sub(t0)), next), next.Sub(t0))...)
		}
	}
}

func newSim(t *testing.T, vss []VirtualServer, w world) *sim {
	t.Helper()
	e, _, err := newEngine(vss, t0, rand.New(rand.NewPCG(1, 2)), 0)
	if err != nil {
		t.Fatalf("newEngine: %v", err)
	}
	return &sim{t: t, e: e, w: w}
}

func (s *sim) update(vss []VirtualServer, at time.Duration) []evf {
	s.t.Helper()
	out, err := s.e.update(vss, t0.Add(at))
	if err != nil {
		s.t.Fatalf("update: %v", err)
	}
	return s.record(out, at)
}

// TestEngineReload runs a configuration until a reload at 25 s, applies the new one, and
// continues to 60 s: what the reload itself reports, what follows, and the scripts from the
// reload on. Checks run at 0, 10, 20 s…; a server failing from 15 s is down at 21 s (retry 1).
func TestEngineReload(t *testing.T) {
	const a, b, c = "10.0.0.1:80", "10.0.0.2:80", "10.0.0.3:80"
	cmd := func(name string) *script.Command { return &script.Command{Argv: []string{"/bin/" + name}} }
	withNotify := func(r RealServer) RealServer { r.NotifyUp, r.NotifyDown = cmd("up"), cmd("down"); return r }
	vs := func(name string, quorum int, rss ...RealServer) VirtualServer {
		return VirtualServer{Name: name, Quorum: quorum, QuorumUp: cmd("qup"), QuorumDown: cmd("qdown"), RealServers: rss}
	}
	one := func(v VirtualServer) []VirtualServer { return []VirtualServer{v} }
	inhibit := func(r RealServer) RealServer { r.InhibitOnFailure = true; return r }
	sorry := func(v VirtualServer) VirtualServer { v.SorryServer = true; return v }
	healthy := world{"tcp_check 10.0.0.1:80": always(true), "tcp_check 10.0.0.2:80": always(true),
		"tcp_check 10.0.0.3:80": always(true), "tcp_check 10.0.0.1:443": always(true)}
	aDown := world{"tcp_check 10.0.0.1:80": upUntil(15 * time.Second), "tcp_check 10.0.0.2:80": always(true),
		"tcp_check 10.0.0.3:80": always(true)}
	bDown := world{"tcp_check 10.0.0.1:80": always(true), "tcp_check 10.0.0.2:80": upUntil(15 * time.Second)}
	fast := timing
	fast.DelayLoop = 5 * time.Second
	s := time.Second

	tests := []struct {
		name        string
		before      []VirtualServer
		after       []VirtualServer
		w           world
		wantReload  []evf
		wantLater   []evf
		wantScripts []string
	}{
		{
			name:   "unchanged set raises nothing; a down server stays down",
			before: one(vs("vs", 1, withNotify(rs(a, 3, tcp(0, timing))), rs(b, 1, tcp(0, timing)))),
			after:  one(vs("vs", 1, withNotify(rs(a, 3, tcp(0, timing))), rs(b, 1, tcp(0, timing)))),
			w:      aDown,
		},
		{
			name:       "weight changed: health kept, new weight announced",
			before:     one(vs("vs", 1, rs(a, 3, tcp(0, timing)))),
			after:      one(vs("vs", 1, rs(a, 5, tcp(0, timing)))),
			w:          healthy,
			wantReload: []evf{{25 * s, WeightChanged, a, 5, ""}},
		},
		{
			name:       "weight changed on a down server: it stays down",
			before:     one(vs("vs", 1, rs(a, 3, tcp(0, timing)), rs(b, 1, tcp(0, timing)))),
			after:      one(vs("vs", 1, rs(a, 5, tcp(0, timing)), rs(b, 1, tcp(0, timing)))),
			w:          aDown,
			wantReload: []evf{{25 * s, WeightChanged, a, 5, ""}},
		},
		{
			name:       "inhibit_on_failure changed: announced with the same weight",
			before:     one(vs("vs", 1, rs(a, 3, tcp(0, timing)), rs(b, 1, tcp(0, timing)))),
			after:      one(vs("vs", 1, inhibit(rs(a, 3, tcp(0, timing))), rs(b, 1, tcp(0, timing)))),
			w:          aDown,
			wantReload: []evf{{25 * s, WeightChanged, a, 3, "inhibit"}},
		},
		{
			// keepalived's clear_service_rs runs notify_down for an alive server it removes.
			name:        "removed alive server runs notify_down; quorum follows",
			before:      one(vs("vs", 2, rs(a, 1, tcp(0, timing)), withNotify(rs(b, 1, tcp(0, timing))))),
			after:       one(vs("vs", 2, rs(a, 1, tcp(0, timing)))),
			w:           healthy,
			wantReload:  []evf{{25 * s, QuorumLost, "vs", 1, ""}},
			wantScripts: []string{"25s notify_down 10.0.0.2:80 (removed)", "25s quorum_down vs"},
		},
		{
			name:   "removed down server runs nothing",
			before: one(vs("vs", 1, rs(a, 1, tcp(0, timing)), withNotify(rs(b, 1, tcp(0, timing))))),
			after:  one(vs("vs", 1, rs(a, 1, tcp(0, timing)))),
			w:      bDown,
		},
		{
			name:       "new server starts up, as at startup",
			before:     one(vs("vs", 1, rs(a, 1, tcp(0, timing)))),
			after:      one(vs("vs", 1, rs(a, 1, tcp(0, timing)), rs(c, 2, tcp(0, timing)))),
			w:          healthy,
			wantReload: []evf{{25 * s, RealServerUp, c, 2, "initial"}},
		},
		{
			name:        "new alpha server starts down until its first success",
			before:      one(vs("vs", 1, rs(a, 1, tcp(0, timing)))),
			after:       one(vs("vs", 1, rs(a, 1, tcp(0, timing)), withNotify(rs(c, 2, tcp(0, withAlpha(timing)))))),
			w:           healthy,
			wantReload:  []evf{{25 * s, RealServerDown, c, 2, "initial"}},
			wantLater:   []evf{{25 * s, RealServerUp, c, 2, ""}},
			wantScripts: []string{"25s notify_up 10.0.0.3:80"},
		},
		{
			name:   "new virtual server sharing a probe takes its current state",
			before: one(vs("vs", 1, rs(a, 1, tcp(0, timing)), rs(b, 1, tcp(0, timing)))),
			after:  []VirtualServer{vs("vs", 1, rs(a, 1, tcp(0, timing)), rs(b, 1, tcp(0, timing))), vs("vs2", 1, rs(a, 4, tcp(0, timing)))},
			w:      aDown,
			wantReload: []evf{
				{25 * s, RealServerDown, a, 4, "initial"}, {25 * s, QuorumLost, "vs2", 0, "initial"},
			},
		},
		{
			// keepalived's migrate_checkers: the checker matched, only its timing changed.
			name:      "timing changed: health migrates, no flap",
			before:    one(vs("vs", 1, rs(a, 1, tcp(0, timing)), rs(b, 1, tcp(0, timing)))),
			after:     one(vs("vs", 1, rs(a, 1, tcp(0, fast)), rs(b, 1, tcp(0, timing)))),
			w:         world{"tcp_check 10.0.0.1:80": downBetween(15*s, 40*s), "tcp_check 10.0.0.2:80": always(true)},
			wantLater: []evf{{40 * s, RealServerUp, a, 1, ""}}, // checks at 30, 35, 40: the new loop
		},
		{
			name:        "quorum raised above the alive weight: lost",
			before:      one(vs("vs", 1, rs(a, 3, tcp(0, timing)))),
			after:       one(vs("vs", 5, rs(a, 3, tcp(0, timing)))),
			w:           healthy,
			wantReload:  []evf{{25 * s, QuorumLost, "vs", 3, ""}},
			wantScripts: []string{"25s quorum_down vs"},
		},
		{
			name:        "sorry server added while quorum is down: swap it in",
			before:      one(vs("vs", 1, rs(a, 1, tcp(0, timing)))),
			after:       one(sorry(vs("vs", 1, rs(a, 1, tcp(0, timing))))),
			w:           aDown,
			wantReload:  []evf{{25 * s, QuorumLost, "vs", 0, "sorry"}},
			wantScripts: []string{"25s quorum_down vs"},
		},
		{
			name:        "removed virtual server: notify_down for alive servers, quorum_down",
			before:      []VirtualServer{vs("vs", 1, rs(a, 1, tcp(0, timing))), vs("vs2", 1, withNotify(rs(b, 1, tcp(0, timing))))},
			after:       one(vs("vs", 1, rs(a, 1, tcp(0, timing)))),
			w:           healthy,
			wantScripts: []string{"25s notify_down 10.0.0.2:80 (removed)", "25s quorum_down vs2 (removed)"},
		},
		{
			// The new alpha check is down until it runs, so the server is down until then.
			name:        "alpha check added to a kept server",
			before:      one(vs("vs", 1, withNotify(rs(a, 3, tcp(0, timing))))),
			after:       one(vs("vs", 1, withNotify(rs(a, 3, tcp(0, timing), tcp(443, withAlpha(timing)))))),
			w:           healthy,
			wantReload:  []evf{{25 * s, RealServerDown, a, 3, ""}, {25 * s, QuorumLost, "vs", 0, ""}},
			wantLater:   []evf{{25 * s, RealServerUp, a, 3, ""}, {25 * s, QuorumRegained, "vs", 3, ""}},
			wantScripts: []string{"25s notify_down 10.0.0.1:80", "25s quorum_down vs", "25s notify_up 10.0.0.1:80", "25s quorum_up vs"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sm := newSim(t, tt.before, tt.w)
			sm.run(25 * s)
			sm.scripts = nil
			got := sm.update(tt.after, 25*s)
			if diff := cmp.Diff(tt.wantReload, got); diff != "" {
				t.Errorf("reload events (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantLater, sm.run(60*s)); diff != "" {
				t.Errorf("events after the reload (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantScripts, sm.scripts); diff != "" {
				t.Errorf("scripts from the reload on (-want +got):\n%s", diff)
			}
		})
	}
}

// TestEngineReloadKeepsScheduleAndProbes: an unchanged probe is the same probe after a reload,
// still due when it was, still shared; a probe no server uses any more leaves the queue.
func TestEngineReloadKeepsScheduleAndProbes(t *testing.T) {
	tm := timing
	tm.Warmup = 10 * time.Second // distinct due times
	vss := []VirtualServer{
		{Name: "vs-a", Quorum: 1, RealServers: []RealServer{rs("10.0.0.1:80", 1, tcp(0, tm)), rs("10.0.0.2:80", 1, tcp(0, tm))}},
		{Name: "vs-b", Quorum: 1, RealServers: []RealServer{rs("10.0.0.1:80", 2, tcp(0, tm))}},
	}
	e, _, err := newEngine(vss, t0, rand.New(rand.NewPCG(1, 2)), 0)
	if err != nil {
		t.Fatal(err)
	}
	var shared *probe
	var sharedKey string
	for k, p := range e.probes {
		if len(p.subs) == 2 {
			shared, sharedKey = p, k
		}
	}
	if shared == nil {
		t.Fatal("no probe shared by two real servers")
	}
	due := shared.due

	// vs-a drops both servers' use of :80 on .1 and .2 is removed; vs-c joins the shared probe.
	vss2 := []VirtualServer{
		{Name: "vs-b", Quorum: 1, RealServers: []RealServer{rs("10.0.0.1:80", 2, tcp(0, tm))}},
		{Name: "vs-c", Quorum: 1, RealServers: []RealServer{rs("10.0.0.1:80", 7, tcp(0, tm))}},
	}
	if _, err := e.update(vss2, t0.Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	if got := e.probes[sharedKey]; got != shared || got.due != due || len(got.subs) != 2 {
		t.Errorf("shared probe after reload: same %v, due %v (want %v), %d subscribers (want 2)", got == shared, got.due, due, len(got.subs))
	}
	if len(e.probes) != 1 || e.queue.len() != 1 {
		t.Errorf("after reload: %d probes, %d queued; want 1 and 1", len(e.probes), e.queue.len())
	}
	st := e.status()
	if got := st[1].RealServers[0].Checks[0].Shared; got != 2 {
		t.Errorf("status Shared = %d, want 2", got)
	}
}

// TestEngineReloadDropsRunningProbe: a probe removed while it runs reports to nobody and is not
// scheduled again.
func TestEngineReloadDropsRunningProbe(t *testing.T) {
	vss := []VirtualServer{{Name: "vs", Quorum: 1, RealServers: []RealServer{rs("10.0.0.1:80", 1, tcp(0, timing)), rs("10.0.0.2:80", 1, tcp(0, timing))}}}
	e, _, err := newEngine(vss, t0, rand.New(rand.NewPCG(1, 2)), 0)
	if err != nil {
		t.Fatal(err)
	}
	running := e.due(t0, nil)
	vss[0].RealServers = vss[0].RealServers[:1]
	if _, err := e.update(vss, t0); err != nil {
		t.Fatal(err)
	}
	for _, p := range running {
		out := e.result(p, okIf(false), t0)
		if p.checker.String() == "tcp_check 10.0.0.2:80" {
			if len(out.events) != 0 || e.current(p) || p.index != -1 {
				t.Errorf("removed probe: events %v, current %v, queued at %d", out.events, e.current(p), p.index)
			}
		} else if len(out.events) == 0 {
			t.Error("kept probe's failure raised no event")
		}
	}
	if e.queue.len() != 1 {
		t.Errorf("%d probes queued, want 1", e.queue.len())
	}
}

// TestEngineReloadInvalidChangesNothing: a set with any error is refused whole.
func TestEngineReloadInvalidChangesNothing(t *testing.T) {
	good := []VirtualServer{{Name: "vs", Quorum: 1, RealServers: []RealServer{rs("10.0.0.1:80", 1, tcp(0, timing))}}}
	tests := []struct {
		name string
		vss  []VirtualServer
	}{
		{"duplicate real server", []VirtualServer{{Name: "vs", Quorum: 1, RealServers: []RealServer{rs("10.0.0.2:80", 1), rs("10.0.0.2:80", 1)}}}},
		{"checker without a port, after a good new server", []VirtualServer{good[0], {Name: "vs2", Quorum: 1, RealServers: []RealServer{
			rs("10.0.0.3:80", 1, tcp(0, timing)), rs("10.0.0.4:0", 1, tcp(0, timing))}}}},
		{"bad timing", []VirtualServer{{Name: "vs", Quorum: 1, RealServers: []RealServer{rs("10.0.0.1:80", 1, tcp(0, Timing{}))}}}},
		{"quorum 0", []VirtualServer{{Name: "vs"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, _, err := newEngine(good, t0, rand.New(rand.NewPCG(1, 2)), 0)
			if err != nil {
				t.Fatal(err)
			}
			before, probes, queued := e.status(), len(e.probes), e.queue.len()
			if _, err := e.update(tt.vss, t0.Add(time.Second)); err == nil {
				t.Fatal("update succeeded, want an error")
			}
			if diff := cmp.Diff(before, e.status(), cmp.Comparer(func(a, b netip.AddrPort) bool { return a == b })); diff != "" {
				t.Errorf("status changed by a refused update (-want +got):\n%s", diff)
			}
			if len(e.probes) != probes || e.queue.len() != queued {
				t.Errorf("probes %d queued %d, want %d and %d", len(e.probes), e.queue.len(), probes, queued)
			}
		})
	}
}
