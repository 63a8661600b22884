//go:build integration

package integration

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/halvs/halvs/control"
)

// reloadSlack is what halvs may take, beyond one advert interval, between a SIGHUP and the
// running instance carrying the new settings: the daemon re-reads and validates the whole
// file, plans the reload and queues it to the instance's loop, on a two-core machine that
// other tests share. One second is ten times what that takes on an idle machine, and well
// under the Master_Down_Interval (3.6 s at 1 s adverts) that a restart would cost the VIPs.
const reloadSlack = time.Second

// reloadRig is a halvs pair, A MASTER and B BACKUP, on which a test reloads A (and B) in
// place again and again: the configurations they run now, an observer on B's interface that
// sees A's adverts (multicast or unicast), and the client sampling its neighbour entries.
type reloadRig struct {
	*pair
	a, b   Instance
	da, db *Director
	atB    *Observer
	samp   *Sampler
}

// newReloadRig starts a and b (A's and B's configurations) on a fresh lab and waits until A
// is MASTER, the client's entries for a's VIPs name A, and A's second gratuitous ARP burst
// (garp_master_delay, 5 s after it became MASTER) is over, so that whatever a step sees
// announced comes from that step.
func newReloadRig(t *testing.T, a, b Instance) *reloadRig {
	t.Helper()
	p := newPair(t, VIP4, Halvs)
	// The client re-confirms an entry every 1–2.5 s (reachable for 0.5–1.5 s, then
	// delay_first_probe_time 1 s, then unicast probes 200 ms apart), so while the sampler keeps
	// sending to a VIP the entry shows whether the MAC it names still answers for it: a VIP
	// its owner dropped even for a moment fails the probes instead of lingering as STALE.
	for key, v := range map[string]string{"base_reachable_time_ms": "1000", "delay_first_probe_time": "1", "retrans_time_ms": "200"} {
		if err := p.lab.Client.NS.WriteSysctl("net/ipv4/neigh/"+p.lab.Client.If+"/"+key, v); err != nil {
			t.Fatal(err)
		}
	}
	atB, err := Observe(p.lab.B)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { atB.Close() })
	r := &reloadRig{pair: p, a: a, b: b, atB: atB}
	mark := p.obs.Mark()
	r.da = p.start(Halvs, p.lab.A, a)
	r.db = p.start(Halvs, p.lab.B, b)
	p.expectMaster(mark, p.lab.A, 10*time.Second, time.Second)

	if r.samp, err = p.lab.SampleNeighbours(10*time.Millisecond, 100*time.Millisecond, addrsOf(a.VIPs)...); err != nil {
		t.Fatal(err)
	}
	for _, v := range addrsOf(a.VIPs) {
		r.waitNeighbour(v, 5*time.Second)
	}
	st := r.status(r.da)
	if d := time.Until(st.Since.Add(6 * time.Second)); d > 0 {
		time.Sleep(d)
	}
	return r
}

// waitNeighbour waits until the client's latest sample of v names A.
func (r *reloadRig) waitNeighbour(v netip.Addr, timeout time.Duration) {
	r.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		s, ok := r.samp.Latest(v)
		if ok && macEq(s.MAC, r.lab.A.MAC) {
			return
		}
		if time.Now().After(deadline) {
			r.t.Fatalf("client's neighbour entry for %s is %v, want A's %s", v, s, r.lab.A.MAC)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// status returns the director's one instance, retrying while its control socket comes up.
func (r *reloadRig) status(d *Director) control.Instance {
	r.t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		st, err := d.Status()
		if err == nil && len(st.Instances) == 1 {
			return st.Instances[0]
		}
		if time.Now().After(deadline) {
			r.t.Fatalf("status of %s: %v (%d instances)", d.Node.Name, err, len(st.Instances))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// reloadCase is one in-place change: change edits A's (and, with both, B's) configuration;
// SIGHUP goes to A, then at once to B when both is set. check, run after the common checks,
// shows that the change took effect, from the reload's time hup and the index atB had then.
type reloadCase struct {
	name   string
	change func(a, b *Instance)
	both   bool
	check  func(t *testing.T, r *reloadRig, hup time.Time, advMark int)
}

// run applies c to the running pair and checks what every in-place reload must keep: the
// backup never becomes MASTER (status, log, no announcement from B, no priority-0 advert
// from A), the client's entry for every unchanged VIP names A in every sample, a new VIP
// answers (on A, announced, the client's entry names A) and a removed one is gone from A
// within one advert interval plus reloadSlack, and A is MASTER since the same moment.
func (r *reloadRig) run(t *testing.T, c reloadCase) {
	r.t = t
	lab := r.lab
	stA, stB := r.status(r.da), r.status(r.db)
	if stA.State != "MASTER" || stB.State != "BACKUP" {
		t.Fatalf("before the reload A is %s and B is %s, want MASTER and BACKUP", stA.State, stB.State)
	}
	na, nb := r.a.clone(), r.b.clone()
	c.change(&na, &nb)
	added, removed, kept := diffVIPs(addrsOf(r.a.VIPs), addrsOf(na.VIPs))
	bound := max(r.a.withDefaults().Interval, na.withDefaults().Interval) + reloadSlack
	// The longest B may wait for a silent A before taking over, at the interval it knows.
	watch := r.b.MasterDownInterval() + time.Second

	obsMark, advMark, sampMark, outB := r.obs.Mark(), r.atB.Mark(), r.samp.Mark(), len(r.db.Output())
	r.rewrite(r.da, na)
	if c.both {
		r.rewrite(r.db, nb)
	}
	r.samp.SetAddrs(append(slices.Clone(kept), added...)...)
	hup := time.Now()
	r.signal(r.da)
	if c.both {
		r.signal(r.db)
	}
	r.a, r.b = na, nb

	w := r.watch(hup, watch, added, removed, slices.Concat(kept, added, removed))
	for _, v := range added {
		switch d, ok := w.answered[v]; {
		case !ok:
			t.Errorf("new VIP %s did not answer from A within %v of the SIGHUP, want within %v", v, watch, bound)
		case d > bound:
			t.Errorf("new VIP %s answered from A %v after the SIGHUP, want within %v", v, d.Round(time.Millisecond), bound)
		default:
			t.Logf("new VIP %s answered from A %v after the SIGHUP", v, d.Round(time.Millisecond))
		}
		if _, _, err := r.obs.WaitFor(obsMark, 0, AnnounceFrom(lab.A.MAC, v)); err != nil {
			t.Errorf("A did not announce the new VIP %s", v)
		}
	}
	for _, v := range removed {
		switch d, ok := w.gone[v]; {
		case !ok:
			t.Errorf("removed VIP %s still on A %v after the SIGHUP, want it gone within %v", v, watch, bound)
		case d > bound:
			t.Errorf("removed VIP %s gone from A %v after the SIGHUP, want within %v", v, d.Round(time.Millisecond), bound)
		default:
			t.Logf("removed VIP %s gone from A %v after the SIGHUP", v, d.Round(time.Millisecond))
		}
	}
	if len(w.heldByB) > 0 {
		t.Errorf("B held VIPs during A's reload: %v", w.heldByB)
	}
	var fromB, again []Event
	for _, e := range r.obs.Since(obsMark) {
		switch {
		case (e.Kind == KindGARP || e.Kind == KindNA) && macEq(e.SrcMAC, lab.B.MAC):
			fromB = append(fromB, e)
		case (e.Kind == KindGARP || e.Kind == KindNA) && macEq(e.SrcMAC, lab.A.MAC) && slices.Contains(kept, e.IP):
			again = append(again, e)
		}
	}
	if len(fromB) > 0 {
		t.Errorf("B announced VIPs %d times during the reload, first %v", len(fromB), fromB[0])
	}
	if len(again) > 0 {
		t.Errorf("A announced unchanged VIPs again %d times, as after a state change; first %v", len(again), again[0])
	}
	sentAfter := false
	for _, e := range r.atB.Since(advMark) {
		if AdvertFrom(lab.A.MAC)(e) {
			sentAfter = true
			if e.Priority == 0 {
				t.Errorf("A sent a priority-0 advert on reload: %v", e)
			}
		}
	}
	if !sentAfter {
		t.Errorf("B saw no advert from A in the %v after the reload", watch)
	}
	for _, line := range strings.Split(r.db.Output()[outB:], "\n") {
		if strings.Contains(line, "Entering MASTER STATE") {
			t.Errorf("B logged a takeover during the reload: %s", line)
		}
	}
	if st := r.status(r.db); st.State != "BACKUP" || st.Counters.Transitions["MASTER"] != stB.Counters.Transitions["MASTER"] {
		t.Errorf("B after the reload: %s, %d entries into MASTER (before: %d), want BACKUP and none new",
			st.State, st.Counters.Transitions["MASTER"], stB.Counters.Transitions["MASTER"])
	}
	st := r.status(r.da)
	if st.State != "MASTER" || !st.Since.Equal(stA.Since) {
		t.Errorf("A after the reload: %s since %v, want MASTER since %v (no state change)", st.State, st.Since, stA.Since)
	}
	r.checkSamples(t, sampMark, kept, added)
	if c.check != nil {
		c.check(t, r, hup, advMark)
	}
}

// watched is what watch saw: when each new VIP answered from A and each removed one was gone
// from A (from the SIGHUP), and the first times B held a VIP.
type watched struct {
	answered, gone map[netip.Addr]time.Duration
	heldByB        []string
}

// watch polls A's and B's addresses and the client's samples every 10 ms until watch has
// passed since hup.
func (r *reloadRig) watch(hup time.Time, watch time.Duration, added, removed, all []netip.Addr) watched {
	lab := r.lab
	w := watched{answered: map[netip.Addr]time.Duration{}, gone: map[netip.Addr]time.Duration{}}
	for time.Since(hup) < watch {
		for _, v := range added {
			if _, ok := w.answered[v]; !ok && lab.A.HasAddr(v) {
				if s, ok := r.samp.Latest(v); ok && macEq(s.MAC, lab.A.MAC) {
					w.answered[v] = time.Since(hup)
				}
			}
		}
		for _, v := range removed {
			if _, ok := w.gone[v]; !ok && !lab.A.HasAddr(v) {
				w.gone[v] = time.Since(hup)
			}
		}
		for _, v := range all {
			if lab.B.HasAddr(v) && len(w.heldByB) < 5 {
				w.heldByB = append(w.heldByB, fmt.Sprintf("%s at +%v", v, time.Since(hup).Round(time.Millisecond)))
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	return w
}

// checkSamples checks that every sample of an unchanged VIP since mark names A, and that a
// new VIP's entry, once it named A, always does.
func (r *reloadRig) checkSamples(t *testing.T, mark int, kept, added []netip.Addr) {
	t.Helper()
	samples, err := r.samp.Since(mark)
	if err != nil {
		t.Fatal(err)
	}
	bad := map[netip.Addr][]Sample{}
	seenA := map[netip.Addr]bool{}
	n := map[netip.Addr]int{}
	for _, s := range samples {
		n[s.Addr]++
		isA := macEq(s.MAC, r.lab.A.MAC)
		switch {
		case slices.Contains(kept, s.Addr) && !isA, slices.Contains(added, s.Addr) && seenA[s.Addr] && !isA:
			bad[s.Addr] = append(bad[s.Addr], s)
		}
		seenA[s.Addr] = seenA[s.Addr] || isA
	}
	for _, v := range kept {
		if n[v] == 0 {
			t.Errorf("no sample of the client's entry for %s", v)
		}
	}
	for v, list := range bad {
		t.Errorf("the client's entry for %s did not name A (%s) in %d of %d samples; first: %v, last: %v",
			v, r.lab.A.MAC, len(list), n[v], list[0], list[len(list)-1])
	}
}

// advertFromA waits from atB's index mark on for an advert of A's that match accepts.
func (r *reloadRig) advertFromA(mark int, timeout time.Duration, match func(Event) bool) (Event, error) {
	e, _, err := r.atB.WaitFor(mark, timeout, func(e Event) bool { return AdvertFrom(r.lab.A.MAC)(e) && match(e) })
	if err != nil {
		return e, fmt.Errorf("%w\nA's adverts seen at B:\n%s", err, dumpEvents(r.atB.Since(mark)))
	}
	return e, nil
}

func (r *reloadRig) rewrite(d *Director, in Instance) {
	r.t.Helper()
	if err := d.Rewrite(in); err != nil {
		r.t.Fatal(err)
	}
}

func (r *reloadRig) signal(d *Director) {
	r.t.Helper()
	if err := d.Signal(syscall.SIGHUP); err != nil {
		r.t.Fatal(err)
	}
}

// clone copies in, with slices of its own, so that a change to it leaves in alone.
func (in Instance) clone() Instance {
	in.VIPs = slices.Clone(in.VIPs)
	in.ExtraPeers = slices.Clone(in.ExtraPeers)
	in.Scripts = slices.Clone(in.Scripts)
	return in
}

func addrsOf(vips []netip.Prefix) []netip.Addr {
	out := make([]netip.Addr, len(vips))
	for i, v := range vips {
		out[i] = v.Addr()
	}
	return out
}

// diffVIPs splits the VIPs before and after a reload into those added, removed and kept.
func diffVIPs(before, after []netip.Addr) (added, removed, kept []netip.Addr) {
	for _, v := range after {
		if slices.Contains(before, v) {
			kept = append(kept, v)
		} else {
			added = append(added, v)
		}
	}
	for _, v := range before {
		if !slices.Contains(after, v) {
			removed = append(removed, v)
		}
	}
	return added, removed, kept
}

func dumpEvents(ev []Event) string {
	var b strings.Builder
	if len(ev) > 40 {
		b.WriteString("  ...\n")
		ev = ev[len(ev)-40:]
	}
	for _, e := range ev {
		b.WriteString("  " + e.String() + "\n")
	}
	return b.String()
}
