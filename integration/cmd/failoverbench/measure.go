//go:build integration

package main

import (
	"fmt"
	"slices"
	"time"

	"github.com/halvs/halvs/integration"
)

type failCase string

const (
	crash    failCase = "crash"
	graceful failCase = "graceful"
)

// row is the result of one (interval, case, implementation).
type row struct {
	interval time.Duration
	c        failCase
	impl     integration.Impl
	bound    time.Duration
	samples  []time.Duration // to the first gratuitous ARP
	adverts  []time.Duration // to the new master's first advert (diagnostic: timer vs. VIP path)
	falses   int
}

func (r row) print() {
	s := slices.Clone(r.samples)
	slices.Sort(s)
	fmt.Printf(rowFormat, r.interval, r.c, r.impl, ms(r.bound), ms(s[0]), ms(median(s)), ms(s[len(s)-1]),
		signedMS(median(s)-r.bound), signedMS(median(r.adverts)-r.bound), r.falses)
}

const rowFormat = "%-8s %-9s %-11s %11s %11s %11s %11s %13s %13s %6v\n"

func header() {
	fmt.Printf(rowFormat, "interval", "case", "impl", "bound", "min", "median", "max", "median-bound", "advert-bound", "false")
}

// median of s; s need not be sorted.
func median(s []time.Duration) time.Duration {
	s = slices.Clone(s)
	slices.Sort(s)
	if len(s)%2 == 0 {
		return (s[len(s)/2-1] + s[len(s)/2]) / 2
	}
	return s[len(s)/2]
}

func ms(d time.Duration) string { return fmt.Sprintf("%.3fms", float64(d)/float64(time.Millisecond)) }

func signedMS(d time.Duration) string {
	return fmt.Sprintf("%+.3fms", float64(d)/float64(time.Millisecond))
}

// measure runs one implementation at one interval on a fresh lab: runs × (crash, graceful).
// On failure or skip it returns a note instead of rows.
func measure(impl integration.Impl, iv time.Duration, runs int, verbose bool) (rows []row, note string) {
	in := integration.Instance{Version: 3, Priority: 100, Interval: iv}
	res := map[failCase]*row{
		crash:    {interval: iv, c: crash, impl: impl, bound: in.MasterDownInterval()},
		graceful: {interval: iv, c: graceful, impl: impl, bound: in.SkewTime()},
	}
	tb, ok := step(fmt.Sprintf("%s@%s", impl, iv), verbose, func(t *progTB) {
		integration.RequireImpl(t, impl)
		b := &bench{t: t, impl: impl, in: in, lab: integration.NewLab(t), dirs: map[*integration.Node]*integration.Director{}}
		obs, err := integration.Observe(b.lab.Client)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { obs.Close() })
		b.obs = obs
		b.run(runs, res)
	})
	if !ok {
		switch {
		case tb.skipped:
			return nil, "skipped: " + tb.msg
		default:
			return nil, "failed: " + tb.msg
		}
	}
	return []row{*res[crash], *res[graceful]}, ""
}

type bench struct {
	t    *progTB
	impl integration.Impl
	in   integration.Instance
	lab  *integration.Lab
	obs  *integration.Observer
	dirs map[*integration.Node]*integration.Director
}

func (b *bench) start(n *integration.Node) {
	d := integration.StartDirector(b.t, b.impl, n, b.lab.Other(n), b.in)
	if err := d.WaitReady(10 * time.Second); err != nil {
		b.t.Fatal(err)
	}
	b.dirs[n] = d
}

// settle waits until master has sent count adverts from observer index mark on.
func (b *bench) settle(mark int, master *integration.Node, count int) int {
	for i := 0; i < count; i++ {
		_, idx, err := b.obs.WaitFor(mark, 3*b.in.Interval+5*time.Second, integration.AdvertFrom(master.MAC))
		if err != nil {
			b.t.Fatalf("no advert from the master %s: %v", master.Name, err)
		}
		mark = idx + 1
	}
	return mark
}

func (b *bench) run(runs int, res map[failCase]*row) {
	t, lab, obs := b.t, b.lab, b.obs
	vip := integration.VIP4
	mdi := b.in.MasterDownInterval()

	// A alone becomes master; B joins as its backup.
	mark := obs.Mark()
	b.start(lab.A)
	if _, _, err := obs.WaitFor(mark, mdi+5*time.Second, integration.AnnounceFrom(lab.A.MAC, vip)); err != nil {
		t.Fatalf("A never became master: %v", err)
	}
	mark = obs.Mark()
	b.start(lab.B)
	b.settle(mark, lab.A, 2)
	watch := mark // from here on, an announcement by the backup is a false takeover
	master := lab.A

	for i := 0; i < runs; i++ {
		for _, c := range []failCase{crash, graceful} {
			backup := lab.Other(master)
			m := obs.Mark()
			for _, e := range obs.Since(watch)[:m-watch] {
				if integration.AnnounceFrom(backup.MAC, vip)(e) {
					res[c].falses++
					t.Logf("false takeover by %s while %s was master: %v", backup.Name, master.Name, e)
					break
				}
			}
			if c == crash {
				b.dirs[master].Kill()
			} else if err := b.dirs[master].Stop(10 * time.Second); err != nil {
				t.Fatal(err)
			}
			garp, gi, err := obs.WaitFor(m, 2*mdi+5*time.Second, integration.AnnounceFrom(backup.MAC, vip))
			if err != nil {
				t.Fatalf("run %d %s: %s did not take over from %s: %v", i+1, c, backup.Name, master.Name, err)
			}
			ref, ok := reference(obs.Events()[:gi], c, master, m)
			if !ok {
				t.Fatalf("run %d %s: no reference advert from %s before %v", i+1, c, master.Name, garp)
			}
			adv, _, err := obs.WaitFor(m, time.Second, func(e integration.Event) bool {
				return integration.AdvertFrom(backup.MAC)(e) && e.Priority > 0
			})
			if err != nil {
				t.Fatalf("run %d %s: the new master %s sent no advert: %v", i+1, c, backup.Name, err)
			}
			d := garp.Time.Sub(ref.Time)
			res[c].samples = append(res[c].samples, d)
			res[c].adverts = append(res[c].adverts, adv.Time.Sub(ref.Time))
			t.Logf("run %d %s: %s → %s in %v (bound %v)", i+1, c, master.Name, backup.Name, d, res[c].bound)

			// The old master comes back as the new master's backup (equal priority).
			m = obs.Mark()
			b.start(master)
			master = backup
			b.settle(m, master, 2)
			watch = m
		}
	}
}

// reference finds the advert a takeover is measured from among events (everything seen
// before the new master's first announcement): for a crash, the old master's last advert
// with a non-zero priority; for a graceful stop, its priority-0 advert at index mark or later.
func reference(events []integration.Event, c failCase, old *integration.Node, mark int) (integration.Event, bool) {
	from := integration.AdvertFrom(old.MAC)
	for i := len(events) - 1; i >= 0; i-- {
		e := events[i]
		if !from(e) {
			continue
		}
		if c == crash && e.Priority > 0 {
			return e, true
		}
		if c == graceful && e.Priority == 0 && i >= mark {
			return e, true
		}
	}
	return integration.Event{}, false
}
