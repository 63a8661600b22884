//go:build integration

package integration

import (
	"net/netip"
	"testing"
	"time"
)

// pair is a running director pair on a fresh lab, with the client's observer.
type pair struct {
	t   *testing.T
	lab *Lab
	obs *Observer
	vip netip.Addr
	// running maps a director's node to its latest process. A director killed with SIGKILL
	// leaves the VIP in its kernel, as a crashed daemon does; holdsAlone ignores such nodes.
	running map[*Node]*Director
}

// newPair builds a lab for a pair of directors announcing vip, after skipping the test if
// one of impls cannot run here.
func newPair(t *testing.T, vip netip.Addr, impls ...Impl) *pair {
	t.Helper()
	for _, impl := range impls {
		RequireImpl(t, impl)
	}
	lab := NewLab(t)
	obs, err := Observe(lab.Client)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { obs.Close() })
	return &pair{t: t, lab: lab, obs: obs, vip: vip, running: map[*Node]*Director{}}
}

// forEachImpl runs fn as subtests "halvs" and "keepalived".
func forEachImpl(t *testing.T, fn func(t *testing.T, impl Impl)) {
	for _, impl := range []Impl{Halvs, Keepalived} {
		t.Run(string(impl), func(t *testing.T) { fn(t, impl) })
	}
}

// start runs impl with in on node; the other director is its unicast peer. extra is added
// to the command line.
func (p *pair) start(impl Impl, node *Node, in Instance, extra ...string) *Director {
	p.t.Helper()
	d := StartDirector(p.t, impl, node, p.lab.Other(node), in, extra...)
	if err := d.WaitReady(10 * time.Second); err != nil {
		p.t.Fatal(err)
	}
	p.running[node] = d
	return d
}

// expectMaster waits (from observer index mark on) until node announces the VIP, then checks
// that node alone holds it, that it stays that way for settle, and that the client's
// neighbour entry names node's MAC. It returns the announcement.
func (p *pair) expectMaster(mark int, node *Node, timeout, settle time.Duration) Event {
	p.t.Helper()
	e, _, err := p.obs.WaitFor(mark, timeout, AnnounceFrom(node.MAC, p.vip))
	if err != nil {
		p.t.Fatalf("no announcement of %s from %s (%s) within %v: %v\nframes seen:\n%s",
			p.vip, node.Name, node.MAC, timeout, err, p.dump(mark))
	}
	p.holdsAlone(node, settle)
	if p.vip.Is6() {
		p.lab.Touch(p.vip) // an NA only updates an entry that exists; make one
	}
	p.neighbourIs(node, 3*time.Second)
	return e
}

// holdsAlone waits up to converge (the old master may still be releasing the VIP when the
// new one announces it) until node and only node has the VIP, among the directors whose
// process runs, and then checks, repeatedly for d, that it stays so.
func (p *pair) holdsAlone(node *Node, d time.Duration) {
	p.t.Helper()
	const converge = 2 * time.Second
	want := []string{node.Name}
	start := time.Now()
	var stable time.Time // when node became the only holder
	for {
		got := p.liveHolders()
		alone := len(got) == 1 && got[0] == node.Name
		switch {
		case alone && stable.IsZero():
			stable = time.Now()
		case !alone && !stable.IsZero():
			p.t.Fatalf("VIP %s held by %v %v after it converged on %v", p.vip, got, time.Since(stable).Round(time.Millisecond), want)
		case !alone && time.Since(start) > converge:
			p.t.Fatalf("VIP %s held by %v, want %v only (waited %v)", p.vip, got, want, converge)
		}
		if !stable.IsZero() && time.Since(stable) >= d {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// liveHolders lists the directors whose process runs and whose interface holds the VIP.
func (p *pair) liveHolders() []string {
	var out []string
	for _, n := range p.lab.Directors() {
		if d := p.running[n]; d != nil && !d.Exited() && n.HasAddr(p.vip) {
			out = append(out, n.Name)
		}
	}
	return out
}

// neighbourIs waits until the client's neighbour entry for the VIP names node's MAC.
func (p *pair) neighbourIs(node *Node, timeout time.Duration) {
	p.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		mac, state := p.lab.Neighbour(p.vip)
		if macEq(mac, node.MAC) {
			return
		}
		if time.Now().After(deadline) {
			p.t.Fatalf("client's neighbour entry for %s is %v (%s), want %s's %s", p.vip, mac, state, node.Name, node.MAC)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// noneHolds waits until no director holds the VIP.
func (p *pair) noneHolds(timeout time.Duration) {
	p.t.Helper()
	deadline := time.Now().Add(timeout)
	for len(p.lab.Holders(p.vip)) != 0 {
		if time.Now().After(deadline) {
			p.t.Fatalf("VIP %s still held by %v after %v", p.vip, p.lab.Holders(p.vip), timeout)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// noAnnounce checks that node announces nothing for d (from observer index mark on).
func (p *pair) noAnnounce(mark int, node *Node, d time.Duration) {
	p.t.Helper()
	if e, _, err := p.obs.WaitFor(mark, d, AnnounceFrom(node.MAC, p.vip)); err == nil {
		p.t.Fatalf("%s announced %s, want it to stay backup: %v", node.Name, p.vip, e)
	}
}

// dump formats the frames seen from mark on (for failure messages).
func (p *pair) dump(mark int) string {
	var s string
	ev := p.obs.Since(mark)
	if len(ev) > 60 {
		s = "...\n"
		ev = ev[len(ev)-60:]
	}
	for _, e := range ev {
		s += "  " + e.String() + "\n"
	}
	return s
}

// expectMasterOtherCut is expectMaster for a takeover from the other director while its link
// is down. It does not check that the other has released the VIP: in FAULT it may still hold
// it for a moment (and cannot answer for it), so the caller checks the release itself.
func (p *pair) expectMasterOtherCut(mark int, node *Node, timeout time.Duration) {
	p.t.Helper()
	if _, _, err := p.obs.WaitFor(mark, timeout, AnnounceFrom(node.MAC, p.vip)); err != nil {
		p.t.Fatalf("no announcement of %s from %s within %v: %v\n%s", p.vip, node.Name, timeout, err, p.dump(mark))
	}
	if !node.HasAddr(p.vip) {
		p.t.Fatalf("%s announced %s but does not hold it", node.Name, p.vip)
	}
	p.neighbourIs(node, 3*time.Second)
}
