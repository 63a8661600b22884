package healthcheck

import (
	"fmt"
	"slices"
	"strings"
)

// probeID names a probe: key is its resolved spec and timing, specKey the spec alone (the same
// target and parameters), so two probes with equal specKeys differ only in their timing.
type probeID struct {
	key, specKey string
}

// runningProbe is what planProbes needs to know of a probe the engine runs now.
type runningProbe struct {
	probeID
	hasRun bool // it has a result whose health a successor may take over
}

// wantedProbe is one distinct probe a new configuration asks for, resolved but not built.
type wantedProbe struct {
	probeID
	spec   Spec // resolved
	timing Timing
	where  string // the first virtual and real server that use it, for errors
}

// probePlan is what a reload does to the probes, decided before anything changes.
type probePlan struct {
	// Keep are the probes in both sets: the same probe, its state and schedule kept.
	Keep []string
	// Swap maps a new probe to the running probe whose health it takes over: the same target
	// and parameters with other timing (keepalived's migrate_checkers).
	Swap map[string]string
	// Start are the other new probes: they start as at startup (alpha, warmup).
	Start []string
	// Retire are the running probes no longer wanted.
	Retire []string
}

// String is the plan in one line, for test failures.
func (p probePlan) String() string {
	swaps := make([]string, 0, len(p.Swap))
	for to, from := range p.Swap {
		swaps = append(swaps, from+" → "+to)
	}
	slices.Sort(swaps)
	return fmt.Sprintf("keep %q, swap [%s], start %q, retire %q", p.Keep, strings.Join(swaps, ", "), p.Start, p.Retire)
}

// planProbes decides what a reload from the running probes to the wanted ones does. It is pure:
// engine.applyProbes carries it out. Keep and Start follow wanted's order, Retire running's. A
// new probe takes over the first running probe (in running's order) with its specKey that has
// run; the source may itself be kept or retired, and several new probes may share it.
func planProbes(running []runningProbe, wanted []wantedProbe) probePlan {
	p := probePlan{Swap: map[string]string{}}
	isRunning := map[string]bool{}
	source := map[string]string{} // specKey → the running probe a new one takes over
	for _, r := range running {
		isRunning[r.key] = true
		if _, ok := source[r.specKey]; r.hasRun && !ok {
			source[r.specKey] = r.key
		}
	}
	isWanted := map[string]bool{}
	for _, w := range wanted {
		isWanted[w.key] = true
		switch from, ok := source[w.specKey]; {
		case isRunning[w.key]:
			p.Keep = append(p.Keep, w.key)
		case ok:
			p.Swap[w.key] = from
		default:
			p.Start = append(p.Start, w.key)
		}
	}
	for _, r := range running {
		if !isWanted[r.key] {
			p.Retire = append(p.Retire, r.key)
		}
	}
	return p
}
