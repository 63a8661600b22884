package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/halvs/halvs/lvs"
)

// files writes the table's configuration for each tool into dir.
type files struct{ hcl, keepalived, restore string }

func writeFiles(dir string, tb table) (files, error) {
	base := filepath.Join(dir, fmt.Sprintf("t%dx%d", tb.services, tb.perService))
	f := files{hcl: base + ".hcl", keepalived: base + ".conf", restore: base + ".restore"}
	for name, text := range map[string]string{f.hcl: tb.hcl(-1, 0, 0), f.keepalived: tb.keepalived(), f.restore: tb.restore()} {
		if err := os.WriteFile(name, []byte(text), 0o644); err != nil {
			return files{}, err
		}
	}
	return f, nil
}

// programFromEmpty times each tool programming tb into an empty table, o.runs times, and
// checks each left exactly tb in the kernel.
func programFromEmpty(o options, k *kernel, dir string, tb table, res *results) error {
	want := tb.lvs()
	f, err := writeFiles(dir, tb)
	if err != nil {
		return err
	}
	wantOps := tb.services * (1 + tb.perService)
	row := res.add("program "+tb.String()+" from empty", "ipvsadm --restore")
	in := res.addInProcess("program " + tb.String() + " from empty")
	for i := range o.runs {
		fmt.Printf("lvs-bench: %s from empty, run %d/%d\n", tb, i+1, o.runs)
		if err := flush(); err != nil {
			return err
		}
		d, ops, err := timeHalvs(o.halvs, f.hcl)
		if err != nil {
			return err
		}
		if ops != wantOps {
			return fmt.Errorf("halvs ipvs printed %d operations from empty, want %d", ops, wantOps)
		}
		if err := k.holds(want); err != nil {
			return fmt.Errorf("after halvs ipvs: %w", err)
		}
		row.halvs.add(d, ops)

		if err := flush(); err != nil {
			return err
		}
		if d, err = timeRestore(f.restore); err != nil {
			return err
		}
		if err := k.holds(want); err != nil {
			return fmt.Errorf("after ipvsadm --restore: %w", err)
		}
		row.ref.add(d, -1)

		if err := flush(); err != nil {
			return err
		}
		prog, stop, err := timeKeepalived(k, dir, f.keepalived, want)
		if err != nil {
			return err
		}
		row.keepalived.add(prog, -1)
		row.keepalivedStop.add(stop, -1)

		if err := flush(); err != nil {
			return err
		}
		if d, ops, err = inProcessReconcile(k, want, nil); err != nil {
			return err
		}
		if ops != wantOps {
			return fmt.Errorf("the lvs reconciler applied %d operations from empty, want %d", ops, wantOps)
		}
		if err := k.holds(want); err != nil {
			return fmt.Errorf("after the in-process reconcile: %w", err)
		}
		in.add(d, ops)
	}
	return flush()
}

// changeOne times one weight change in a table tb already holds: `ipvsadm -e`, then halvs
// applying a configuration that differs in that weight (one operation), then halvs applying
// it again (none); in-process, a reconcile of the unchanged table and a health check's
// SetWeight.
func changeOne(o options, k *kernel, dir string, tb table, res *results) error {
	want := tb.lvs()
	f, err := writeFiles(dir, tb)
	if err != nil {
		return err
	}
	if err := flush(); err != nil {
		return err
	}
	if _, _, err := timeHalvs(o.halvs, f.hcl); err != nil {
		return err
	}
	svc, dst := tb.services/2, tb.perService/2
	key, addr := want[svc].Service.Key, want[svc].Destinations[dst].Addr
	withWeight := func(w int) []lvs.VirtualServer {
		t := tb.lvs()
		t[svc].Destinations[dst].Weight = w
		return t
	}
	dests := tb.services * tb.perService
	change := res.add(fmt.Sprintf("one weight change, %d destinations", dests), "ipvsadm -e")
	again := res.add(fmt.Sprintf("re-apply unchanged, %d destinations", dests), "")
	inAgain := res.addInProcess(fmt.Sprintf("re-apply unchanged, %d destinations (read + diff)", dests))
	inSet := res.addInProcess(fmt.Sprintf("one weight change, %d destinations (SetWeight)", dests))
	edited := filepath.Join(dir, "edited.hcl")
	for i := range o.runs {
		fmt.Printf("lvs-bench: one change in %s, run %d/%d\n", tb, i+1, o.runs)
		wIpvsadm, wHalvs, wHealth := 10+3*i, 11+3*i, 12+3*i

		d, err := timeIpvsadm(tb.editIpvsadm(svc, dst, wIpvsadm)...)
		if err != nil {
			return err
		}
		if err := k.holds(withWeight(wIpvsadm)); err != nil {
			return fmt.Errorf("after ipvsadm -e: %w", err)
		}
		change.ref.add(d, -1)

		if err := os.WriteFile(edited, []byte(tb.hcl(svc, dst, wHalvs)), 0o644); err != nil {
			return err
		}
		d, ops, err := timeHalvs(o.halvs, edited)
		if err != nil {
			return err
		}
		if ops != 1 {
			return fmt.Errorf("halvs ipvs printed %d operations for one weight change, want 1", ops)
		}
		if err := k.holds(withWeight(wHalvs)); err != nil {
			return fmt.Errorf("after halvs ipvs with one weight changed: %w", err)
		}
		change.halvs.add(d, ops)

		if d, ops, err = timeHalvs(o.halvs, edited); err != nil {
			return err
		}
		if ops != 0 {
			return fmt.Errorf("halvs ipvs printed %d operations re-applying an unchanged table, want 0", ops)
		}
		again.halvs.add(d, ops)

		r := lvs.NewReconciler(k.k, lvs.Options{})
		if d, ops, err = inProcessReconcile(k, withWeight(wHalvs), r); err != nil {
			return err
		}
		if ops != 0 {
			return fmt.Errorf("the lvs reconciler applied %d operations to an unchanged table, want 0", ops)
		}
		inAgain.add(d, ops)

		start := time.Now()
		rep, err := r.SetWeight(context.Background(), key, addr, wHealth)
		d = time.Since(start)
		if err != nil {
			return err
		}
		if len(rep.Applied) != 1 {
			return fmt.Errorf("SetWeight applied %d operations, want 1", len(rep.Applied))
		}
		if err := k.holds(withWeight(wHealth)); err != nil {
			return fmt.Errorf("after SetWeight: %w", err)
		}
		inSet.add(d, len(rep.Applied))
	}
	return nil
}

// inProcessReconcile reconciles the kernel towards want through the lvs package, as `halvs
// ipvs` does but without the process start and the configuration, with r or a new
// reconciler.
func inProcessReconcile(k *kernel, want []lvs.VirtualServer, r *lvs.Reconciler) (time.Duration, int, error) {
	if r == nil {
		r = lvs.NewReconciler(k.k, lvs.Options{})
	}
	if err := r.SetDesired(want); err != nil {
		return 0, 0, err
	}
	start := time.Now()
	rep, err := r.Reconcile(context.Background())
	d := time.Since(start)
	if err != nil {
		return 0, 0, fmt.Errorf("in-process reconcile: %w", err)
	}
	return d, len(rep.Applied), nil
}
