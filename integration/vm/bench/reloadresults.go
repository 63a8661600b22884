package main

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"
)

// gapStats describes the adverts of one window: the largest interval between two consecutive
// adverts that overlaps it, and how many such intervals were late (longer than the advert
// interval by more than half of it).
type gapStats struct {
	max     time.Duration
	late    int
	adverts int // received within the window
}

// gapsIn measures the adverts ats (in time order) over [from, to]. An interval counts when it
// overlaps the window; the first after the window counts too, so a router that went silent
// across the window's end shows its whole silence. With no advert after the window, the
// silence up to to is the gap (a lower bound).
func gapsIn(ats []time.Time, from, to time.Time, late time.Duration) gapStats {
	var g gapStats
	note := func(d time.Duration) {
		g.max = max(g.max, d)
		if d > late {
			g.late++
		}
	}
	prev := time.Time{}
	for _, at := range ats {
		if !at.Before(from) && !at.After(to) {
			g.adverts++
		}
		if !prev.IsZero() && at.After(from) && prev.Before(to) {
			note(at.Sub(prev))
		}
		prev = at
		if at.After(to) {
			return g
		}
	}
	if !prev.IsZero() && prev.Before(to) {
		if prev.Before(from) {
			prev = from
		}
		note(to.Sub(prev))
	}
	return g
}

// reloadRun is one reload of one changed weight.
type reloadRun struct {
	applied  time.Duration // from SIGHUP until the kernel holds the new weight
	reloaded time.Duration // halvs: from SIGHUP to its "configuration reloaded" line; 0 unknown
	ops      int           // halvs: IPVS operations its log says the reload applied; -1 unknown
	cpu      time.Duration // CPU time its processes used from SIGHUP to the window's end
	reload   gapStats      // adverts from SIGHUP until a second after the weight applied and the reload done
	quiet    gapStats      // adverts over a window as long, just before the SIGHUP
}

// reloadTool is one daemon's runs.
type reloadTool struct {
	name    string
	started time.Duration // from its start until the whole table was in the kernel
	runs    []reloadRun
}

type reloadResults struct {
	table    string
	interval time.Duration
	tools    []*reloadTool
}

func medianOf(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}

// column is each run's value of f, as "median (worst)" and every run.
func column(runs []reloadRun, f func(reloadRun) time.Duration) (string, string) {
	var ds []time.Duration
	var each []string
	for _, r := range runs {
		ds = append(ds, f(r))
		each = append(each, ms(f(r)))
	}
	if len(ds) == 0 || slices.Max(ds) == 0 {
		return "—", ""
	}
	return fmt.Sprintf("%s (worst %s)", ms(medianOf(ds)), ms(slices.Max(ds))), strings.Join(each, " ")
}

func lateOf(runs []reloadRun, f func(reloadRun) gapStats) string {
	late, n := 0, 0
	for _, r := range runs {
		late += f(r).late
		n += f(r).adverts
	}
	return fmt.Sprintf("%d (of %d adverts)", late, n)
}

func (r *reloadResults) print(w io.Writer) {
	fmt.Fprintf(w, "\nReload at scale: %s, one VRRPv3 instance at advert_int %v, one weight changed per reload, "+
		"in one qemu TCG guest (compare within this boot only)\n\n", r.table, r.interval)
	type line struct {
		name string
		f    func(reloadRun) time.Duration
	}
	lines := []line{
		{"SIGHUP → the new weight in the kernel", func(x reloadRun) time.Duration { return x.applied }},
		{"SIGHUP → \"configuration reloaded\"", func(x reloadRun) time.Duration { return x.reloaded }},
		{"CPU time of its processes, SIGHUP → done + 1 s", func(x reloadRun) time.Duration { return x.cpu }},
		{"largest advert gap, SIGHUP → done + 1 s", func(x reloadRun) time.Duration { return x.reload.max }},
		{"largest advert gap, as long a window before (floor)", func(x reloadRun) time.Duration { return x.quiet.max }},
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprint(tw, "per reload, median (worst)")
	for _, t := range r.tools {
		fmt.Fprintf(tw, "\t%s", t.name)
	}
	fmt.Fprintln(tw)
	var detail []string
	for _, l := range lines {
		fmt.Fprint(tw, l.name)
		for _, t := range r.tools {
			cell, each := column(t.runs, l.f)
			fmt.Fprintf(tw, "\t%s", cell)
			if each != "" {
				detail = append(detail, fmt.Sprintf("  %s, %s: %s", l.name, t.name, each))
			}
		}
		fmt.Fprintln(tw)
	}
	fmt.Fprintf(tw, "adverts late by more than %v, reload windows", r.interval/2)
	for _, t := range r.tools {
		fmt.Fprintf(tw, "\t%s", lateOf(t.runs, func(x reloadRun) gapStats { return x.reload }))
	}
	fmt.Fprintf(tw, "\nadverts late by more than %v, windows before (floor)", r.interval/2)
	for _, t := range r.tools {
		fmt.Fprintf(tw, "\t%s", lateOf(t.runs, func(x reloadRun) gapStats { return x.quiet }))
	}
	fmt.Fprint(tw, "\nIPVS operations per reload")
	for _, t := range r.tools {
		var ops []string
		for _, x := range t.runs {
			if x.ops >= 0 {
				ops = append(ops, fmt.Sprint(x.ops))
			}
		}
		if len(ops) == 0 {
			fmt.Fprint(tw, "\t—")
		} else {
			fmt.Fprintf(tw, "\t%s", strings.Join(ops, " "))
		}
	}
	fmt.Fprint(tw, "\nstart: until the whole table was in the kernel")
	for _, t := range r.tools {
		fmt.Fprintf(tw, "\t%s", ms(t.started))
	}
	fmt.Fprintln(tw)
	tw.Flush()
	fmt.Fprintf(w, "\nevery run:\n%s\n", strings.Join(detail, "\n"))
}
