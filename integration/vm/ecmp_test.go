//go:build vmtest

package vm

import (
	"strings"
	"testing"
	"time"
)

// TestECMPDirectorCrash: issue 15's active-active scenario on a real IPVS kernel. Three halvs
// directors announce the VIP to BIRD with BGP; the router spreads the client's long-lived
// line-echo streams over them by ECMP. One director's machine dies (frozen, link down, killed:
// it closes nothing). Every stream on the other two keeps echoing, also while the router still
// sends to the dead one; once the router drops the dead next hop (its hold timer), the streams
// that were on it resume through another director (mh and sloppy_tcp: the same real server,
// no new handshake); when the director comes back the router has three next hops again and
// every stream is still alive.
func TestECMPDirectorCrash(t *testing.T) {
	ecmpLab(t)
	startEchoServers(t)
	r := startRouter(t)
	ds := startECMPDirectors(t, 1)
	if _, ok := waitNextHops(t, 60*time.Second, ecmpDirs...); !ok {
		t.Fatalf("the router's route to %s has next hops %v, want %v; bird:\n%s",
			vip, nextHops(t), addrsOf(ecmpDirs...), r.protocols(t))
	}
	if up := r.established(t); len(up) != len(ecmpDirs) {
		t.Errorf("BGP sessions Established on the router: %v, want one per director:\n%s", up, r.protocols(t))
	}
	for _, d := range ecmpDirs {
		if got := strings.TrimSpace(nsRun(t, d.ns, "cat /proc/sys/net/ipv4/vs/sloppy_tcp")); got != "1" {
			t.Errorf("sloppy_tcp on %s = %q, want 1", d.ns, got)
		}
	}

	streams, on := streamsOnEvery(t, ds)
	victim, survivors := ds[2], ds[:2]
	var onVictim, onSurvivors []*echoStream
	for _, s := range streams {
		if on[s].name == victim.name {
			onVictim = append(onVictim, s)
		} else {
			onSurvivors = append(onSurvivors, s)
		}
	}
	t.Logf("%d streams, %d of them through director %s", len(streams), len(onVictim), victim.name)

	before := map[*echoStream]int{}
	for _, s := range onSurvivors {
		before[s] = s.echoed()
	}
	crashed := victim.crash(t)
	dropped, ok := waitNextHops(t, ecmpHoldTime+30*time.Second, dirA, dirB)
	if !ok {
		t.Fatalf("the router still routes %s via %v %v after director %s died (hold_time %v)",
			vip, nextHops(t), time.Since(crashed).Round(time.Second), victim.name, ecmpHoldTime)
	}
	t.Logf("the router dropped director %s's next hop %v after its machine died (hold_time %v)",
		victim.name, dropped.Sub(crashed).Round(10*time.Millisecond), ecmpHoldTime)
	// While the router still sent a third of the flows to the dead director, the others' went on.
	for _, s := range onSurvivors {
		if s.echoed() == before[s] {
			t.Errorf("stream %s through %s echoed nothing between the crash and the router dropping %s",
				s.name, on[s].name, victim.name)
		}
	}

	for _, s := range streams {
		s.waitLines(t, 5, 30*time.Second)
	}
	moved := carriers(t, survivors, onVictim)
	for _, s := range onVictim {
		if len(moved[s]) == 0 {
			t.Errorf("stream %s resumed, but no surviving director has it in its connection table", s.name)
		}
	}

	// The director comes back: three next hops again, every stream still echoing.
	victim.start(t)
	if _, ok := waitNextHops(t, 60*time.Second, ecmpDirs...); !ok {
		t.Fatalf("after director %s's return the router routes %s via %v; bird:\n%s",
			victim.name, vip, nextHops(t), r.protocols(t))
	}
	for _, s := range streams {
		s.waitLines(t, 5, 30*time.Second)
	}
	for _, s := range streams {
		s.close(t)
	}
}
