package healthcheck

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"slices"
	"strings"
	"time"
)

// update applies a new set of virtual servers: keepalived's reload (ipwrapper.c
// clear_diff_services, migrate_checkers, init_services) in one step. The set is validated and
// every checker built before anything changes, so an invalid set returns an error and leaves the
// engine as it was.
//
//   - A probe (same kind, target, parameters and timing) in both sets is the same probe: it keeps
//     its state and its schedule and stays shared by every real server that uses it.
//   - A new probe whose target and parameters match an old probe's (only the timing changed)
//     inherits that probe's health, as keepalived's migrate_checkers does, so changing delay_loop
//     does not flap a down server up. Other new probes start as at startup (alpha, warmup).
//   - A real server (same virtual server name, same address) in both sets keeps its health. If
//     its probes say otherwise now (a check was added or removed) it changes state with the usual
//     event and script; otherwise a changed effective weight or inhibit_on_failure is one
//     WeightChanged. Unchanged servers raise nothing.
//   - A new real server or virtual server reports its Initial state, as at startup.
//   - A removed real server that was alive runs notify_down, as keepalived's clear_service_rs
//     does on reload; a removed virtual server whose quorum was up runs quorum_down. Neither
//     raises an event: the server is gone from the configuration the director applies.
//   - Quorum is recomputed with the carried state and hysteresis; a change is an event.
func (e *engine) update(vss []VirtualServer, now time.Time) (output, error) {
	var out output
	if err := validate(vss); err != nil {
		return out, err
	}
	// Decide, and build every new checker: nothing changes until this has succeeded.
	keys, wanted, err := resolveProbes(vss)
	if err != nil {
		return out, err
	}
	plan := planProbes(e.running(), wanted)
	fresh, err := buildProbes(wanted, plan)
	if err != nil {
		return out, err
	}
	// Apply. Probes first, so that real servers evaluate against the new set. Servers that
	// leave run their scripts before the new ones report, as keepalived clears the old
	// services before it starts the new ones.
	e.applyProbes(plan, wanted, fresh, now)
	e.retireServers(vss, &out)
	e.rebuildServers(vss, keys, now, &out)
	return out, nil
}

// resolveProbes resolves every check of vss. keys holds each check's probe key per virtual
// server, real server and check; wanted the distinct probes, in their first use's order.
func resolveProbes(vss []VirtualServer) (keys [][][]string, wanted []wantedProbe, err error) {
	keys = make([][][]string, len(vss))
	seen := map[string]bool{}
	for i, vspec := range vss {
		keys[i] = make([][]string, len(vspec.RealServers))
		for j, rspec := range vspec.RealServers {
			where := fmt.Sprintf("virtual server %s real server %v", vspec.Name, rspec.Addr)
			for _, c := range rspec.Checks {
				resolved, err := c.Spec.resolve(resolveEnv{RealServer: rspec.Addr, Timing: c.Timing})
				if err != nil {
					return nil, nil, fmt.Errorf("%s: %w", where, err)
				}
				id := probeID{key: probeKey(resolved, c.Timing), specKey: probeKey(resolved, Timing{})}
				keys[i][j] = append(keys[i][j], id.key)
				if !seen[id.key] {
					seen[id.key] = true
					wanted = append(wanted, wantedProbe{probeID: id, spec: resolved, timing: c.Timing, where: where})
				}
			}
		}
	}
	return keys, wanted, nil
}

// running lists the engine's probes for planProbes, by key.
func (e *engine) running() []runningProbe {
	rs := make([]runningProbe, 0, len(e.probes))
	for k, p := range e.probes {
		rs = append(rs, runningProbe{probeID: probeID{key: k, specKey: p.specKey}, hasRun: p.hasRun})
	}
	slices.SortFunc(rs, func(a, b runningProbe) int { return strings.Compare(a.key, b.key) })
	return rs
}

// buildProbes builds the checkers of the plan's new probes, unscheduled.
func buildProbes(wanted []wantedProbe, plan probePlan) (map[string]*probe, error) {
	fresh := map[string]*probe{}
	for _, w := range wanted {
		if _, swap := plan.Swap[w.key]; !swap && !slices.Contains(plan.Start, w.key) {
			continue
		}
		chk, err := w.spec.newChecker()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", w.where, err)
		}
		fresh[w.key] = &probe{key: w.key, specKey: w.specKey, checker: chk, timing: w.timing, index: -1}
	}
	return fresh, nil
}

// applyProbes carries out plan: retired probes leave the queue (a running one reports to
// nobody), new ones take over their predecessor's health or start afresh, and every probe's
// subscribers are cleared for rebuildServers.
func (e *engine) applyProbes(plan probePlan, wanted []wantedProbe, fresh map[string]*probe, now time.Time) {
	for _, k := range plan.Retire {
		p := e.probes[k]
		p.retired = true
		if p.index >= 0 {
			e.queue.remove(p.index)
		}
	}
	probes := make(map[string]*probe, len(wanted))
	for _, w := range wanted {
		p := fresh[w.key]
		switch from, swap := plan.Swap[w.key]; {
		case p == nil:
			p = e.probes[w.key]
		case swap:
			p.migrate(e.probes[from], now)
		default:
			p.start(now, e.rnd)
		}
		if fresh[w.key] != nil {
			e.queue.push(p)
		}
		p.subs = nil
		probes[w.key] = p
	}
	e.probes = probes
	e.window = batchWindow(probes)
}

// retireServers runs the scripts of the servers vss no longer has: notify_down for a removed
// real server that was alive (keepalived's clear_service_rs), quorum_down for a removed virtual
// server whose quorum was up. Neither raises an event: the server is gone from the
// configuration the director applies.
func (e *engine) retireServers(vss []VirtualServer, out *output) {
	newVS := map[string]VirtualServer{}
	for _, vspec := range vss {
		newVS[vspec.Name] = vspec
	}
	for _, vs := range e.vss {
		vspec, kept := newVS[vs.spec.Name]
		stay := map[netip.AddrPort]bool{}
		for _, r := range vspec.RealServers {
			stay[r.Addr] = kept
		}
		for _, rs := range vs.rss {
			if !stay[rs.spec.Addr] && rs.alive {
				out.script(rs.spec.NotifyDown, fmt.Sprintf("notify_down %v (removed)", rs.spec.Addr))
			}
		}
		if !kept && vs.quorumUp {
			out.script(vs.spec.QuorumDown, "quorum_down "+vs.spec.Name+" (removed)")
		}
	}
}

// rebuildServers makes the engine's servers those of vss, subscribed to the probes named by keys
// (from resolveProbes): a kept server carries its health over and reports what changed, a new
// one reports its initial state.
func (e *engine) rebuildServers(vss []VirtualServer, keys [][][]string, now time.Time, out *output) {
	oldVS := map[string]*vsState{}
	for _, vs := range e.vss {
		oldVS[vs.spec.Name] = vs
	}
	e.vss = make([]*vsState, 0, len(vss))
	for i, vspec := range vss {
		old := oldVS[vspec.Name]
		vs := &vsState{spec: vspec, since: now}
		oldRS := map[netip.AddrPort]*rsState{}
		if old != nil {
			vs.quorumUp, vs.since = old.quorumUp, old.since
			for _, rs := range old.rss {
				oldRS[rs.spec.Addr] = rs
			}
		}
		for j, rspec := range vspec.RealServers {
			rs := &rsState{vs: vs, spec: rspec, since: now}
			for _, k := range keys[i][j] {
				p := e.probes[k]
				p.subs = append(p.subs, rs)
				rs.probes = append(rs.probes, p)
			}
			if prev := oldRS[rspec.Addr]; prev != nil {
				rs.alive, rs.weight, rs.since, rs.notified = prev.alive, prev.weight, prev.since, prev.notified
				rs.reload(prev.spec, now, out)
			} else {
				rs.alive, rs.weight = rs.evaluate()
				out.events = append(out.events, rs.event(now, true))
				if rs.alive && rspec.InitNotifies {
					out.script(rspec.NotifyUp, fmt.Sprintf("notify_up %v (rs_init_notifies)", rspec.Addr))
				}
			}
			vs.rss = append(vs.rss, rs)
		}
		if old == nil {
			vs.initialQuorum(now, out)
		} else {
			vs.reloadQuorum(old.spec, now, out)
		}
		e.vss = append(e.vss, vs)
	}
}

// start schedules a new probe's first check as at startup: keepalived's initial state (up
// unless alpha; one failure is enough before the first success) and a random offset within
// warmup.
func (p *probe) start(now time.Time, rnd *rand.Rand) {
	p.up, p.since = !p.timing.Alpha, now
	// Without alpha one failure is enough at first (check_data.c sets retry_it = retry).
	p.retryIt = p.timing.Retry
	var warm time.Duration
	if p.timing.Warmup > 0 {
		warm = time.Duration(rnd.Int64N(int64(p.timing.Warmup)))
	}
	p.due = now.Add(warm)
}

// migrate takes over the health of old, the same target checked with other timing. Like
// keepalived's migrate_checkers, failures already counted carry over up to the new retry, and
// the next check comes no later than one new delay_loop from now.
func (p *probe) migrate(old *probe, now time.Time) {
	p.up, p.hasRun, p.since = old.up, old.hasRun, old.since
	p.dyn, p.offset, p.last, p.lastAt = old.dyn, old.offset, old.last, old.lastAt
	p.retryIt = min(old.retryIt, p.timing.Retry)
	p.due = now.Add(p.timing.DelayLoop)
	if !old.running && old.due.Before(p.due) {
		p.due = old.due
		if p.due.Before(now) {
			p.due = now
		}
	}
}

// reload re-evaluates a real server kept across a reload, whose previous configuration was prev.
func (rs *rsState) reload(prev RealServer, now time.Time, out *output) {
	alive, w := rs.evaluate()
	switch {
	case alive != rs.alive:
		// A check was added or removed and the probes now disagree with the old state.
		rs.alive, rs.weight, rs.since, rs.notified = alive, w, now, true
		out.events = append(out.events, rs.event(now, false))
		if alive {
			out.script(rs.spec.NotifyUp, fmt.Sprintf("notify_up %v", rs.spec.Addr))
		} else {
			out.script(rs.spec.NotifyDown, fmt.Sprintf("notify_down %v", rs.spec.Addr))
		}
	case w != rs.weight || rs.spec.InhibitOnFailure != prev.InhibitOnFailure:
		rs.weight = w
		out.events = append(out.events, rs.weightEvent(now))
	}
}

// initialQuorum reports a new virtual server's quorum as at startup.
func (vs *vsState) initialQuorum(now time.Time, out *output) {
	sum := vs.aliveWeight()
	vs.quorumUp = sum >= vs.spec.Quorum+vs.spec.Hysteresis
	ev := Event{Type: QuorumRegained, Time: now, VirtualServer: vs.spec.Name, Weight: sum, SorryServer: vs.spec.SorryServer, Initial: true}
	if !vs.quorumUp {
		ev.Type = QuorumLost
		// keepalived starts a sorry server (and announces quorum down) at once.
		if vs.spec.SorryServer {
			out.script(vs.spec.QuorumDown, "quorum_down "+vs.spec.Name)
		}
	}
	out.events = append(out.events, ev)
}

// reloadQuorum recomputes a kept virtual server's quorum from its carried state (keepalived's
// init_service_vs: "we may have got/lost quorum due to quorum setting changed").
func (vs *vsState) reloadQuorum(prev VirtualServer, now time.Time, out *output) {
	n := len(out.events)
	vs.updateQuorum(now, out)
	if len(out.events) > n || vs.quorumUp || vs.spec.SorryServer == prev.SorryServer {
		return
	}
	// Quorum stays down but the sorry server came or went: tell the director to swap it, and
	// announce quorum down as keepalived does when it starts a sorry server.
	out.events = append(out.events, Event{Type: QuorumLost, Time: now, VirtualServer: vs.spec.Name,
		Weight: vs.aliveWeight(), SorryServer: vs.spec.SorryServer})
	if vs.spec.SorryServer {
		out.script(vs.spec.QuorumDown, "quorum_down "+vs.spec.Name)
	}
}

// batchWindow is the engine's window for a set of probes: maxBatchWindow, or a hundredth of
// the shortest delay_loop or delay_before_retry when that is less, so that starting early
// never shortens any probe's period by more than 1%.
func batchWindow(probes map[string]*probe) time.Duration {
	w := maxBatchWindow
	for _, p := range probes {
		for _, d := range []time.Duration{p.timing.DelayLoop, p.timing.DelayBeforeRetry} {
			if d > 0 {
				w = min(w, d/100)
			}
		}
	}
	return w
}
