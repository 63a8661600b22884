package director

import (
	"context"
	"log/slog"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/halvs/halvs/config"
	"github.com/halvs/halvs/internal/scaleconf"
	"github.com/halvs/halvs/lvs"
	"github.com/halvs/halvs/vrrp"
)

// scaleSpec is issue 10's table, 2,000 virtual servers × 16 real servers, with an address
// owner (priority 255) as its instance, MASTER from its start without waiting for a peer.
func scaleSpec() scaleconf.Spec {
	s := scaleconf.Issue10("eth0", netip.MustParsePrefix("10.0.0.100/32"))
	s.Priority = 255
	return s
}

// opRecorder records every change the in-memory IPVS table receives, in ipvsadm notation.
type opRecorder struct {
	mu  sync.Mutex
	ops []string
}

func (r *opRecorder) record(o lvs.Op) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.ops = append(r.ops, o.String())
	return nil
}

func (r *opRecorder) take() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	ops := r.ops
	r.ops = nil
	return ops
}

func (r *opRecorder) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.ops)
}

// settle waits for the table to be want, then for the IPVS queue to run everything queued
// so far, with an advert interval of the clocks between two rounds, so that a late health
// event or retry would have reached the table too.
func settle(t testing.TB, d *Director, k *kernel, want []lvs.VirtualServer) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		cur, _ := k.ipvs.Services()
		if len(cur) == len(want) && len(lvs.Diff(cur, want, nil)) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the table is not the one wanted after 20 s: %d services, want %d", len(cur), len(want))
		}
	}
	for range 2 {
		d.ipvs.Load().q.wait(func() {})
		k.clock.Advance(100 * time.Millisecond)
	}
}

// TestReloadAtScaleOneWeight is issue 10's reload at scale: a director running 32,000
// destinations and one VRRP instance reloads the same config with one weight changed; the
// reload costs one IPVS operation, that weight's update, and the instance keeps its state,
// its VIP and its adverts.
func TestReloadAtScaleOneWeight(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: programs 32,000 destinations")
	}
	k := newKernel()
	rec := &opRecorder{}
	k.ipvs.Fail = rec.record
	spec := scaleSpec()
	d, err := New(parse(t, string(spec.HCL())), k.options(t))
	if err != nil {
		t.Fatal(err)
	}
	running(t, d)
	inst := masterOf(t, d, "VI_SCALE")
	settle(t, d, k, spec.Table())
	if got, want := rec.count(), spec.Services*(1+spec.PerService); got != want {
		t.Fatalf("programming the table took %d operations, want %d (one per service and destination)", got, want)
	}
	rec.take()
	vipOps, sent := len(k.opLog()), len(k.sentPriorities())

	changed := scaleconf.Dest{I: 1234, J: 7}
	next := spec.WithWeight(changed, 5)
	if err := d.Reload(parse(t, string(next.HCL()))); err != nil {
		t.Fatal(err)
	}
	settle(t, d, k, next.Table())

	want := []string{"-e -t " + spec.VirtualServer(changed.I).String() + " -r " + spec.RealServer(changed).String() + " -g -w 5"}
	if diff := cmp.Diff(want, rec.take()); diff != "" {
		t.Errorf("IPVS operations of the reload (-want +got):\n%s", diff)
	}
	if d.router.Instance("VI_SCALE") != inst {
		t.Error("the reload restarted VI_SCALE")
	}
	if st := inst.Status().State; st != vrrp.StateMaster {
		t.Errorf("VI_SCALE is %v after the reload, want MASTER", st)
	}
	if ops := k.opLog()[vipOps:]; len(ops) > 0 {
		t.Errorf("the reload touched the VIPs: %v", ops)
	}
	// settle let two advert intervals pass: the instance advertised at its priority, and
	// never with priority 0 (a stop).
	if after := k.sentPriorities()[sent:]; len(after) == 0 || slices.Contains(after, 0) {
		t.Errorf("adverts after the reload have priorities %v, want some, none 0", after)
	}
}

// BenchmarkReloadAtScale times the parts of a reload of issue 10's table: reading the file,
// translating it, and Reload itself against the in-memory IPVS table (one weight changed
// each time, until its one operation is applied). Profile with
// go test ./director -run '^$' -bench ReloadAtScale -cpuprofile /tmp/cpu.pprof.
func BenchmarkReloadAtScale(b *testing.B) {
	spec := scaleSpec()
	dir := b.TempDir()
	path := filepath.Join(dir, "scale.hcl")
	if err := os.WriteFile(path, spec.HCL(), 0o644); err != nil {
		b.Fatal(err)
	}
	load := func(b *testing.B, path string) *config.Config {
		cfg, diags := config.Load(path)
		if diags.HasErrors() {
			b.Fatal(diags)
		}
		return cfg
	}
	b.Run("load", func(b *testing.B) {
		for b.Loop() {
			load(b, path)
		}
	})
	b.Run("translate", func(b *testing.B) {
		cfg := load(b, path)
		for b.Loop() {
			if _, err := translate(cfg, fakeUsers); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("reload", func(b *testing.B) {
		k := newKernel()
		opts := k.options(nil)
		opts.Logger = slog.New(slog.DiscardHandler)
		d, err := New(load(b, path), opts)
		if err != nil {
			b.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- d.Run(ctx) }()
		b.Cleanup(func() { cancel(); <-done })
		settle(b, d, k, spec.Table())
		// Two configs that differ in one weight, loaded once: the figure is Reload's.
		alt := spec.WithWeight(scaleconf.Dest{I: 1234, J: 7}, 5)
		altPath := filepath.Join(dir, "alt.hcl")
		if err := os.WriteFile(altPath, alt.HCL(), 0o644); err != nil {
			b.Fatal(err)
		}
		cfgs := []*config.Config{load(b, altPath), load(b, path)}
		tables := [][]lvs.VirtualServer{alt.Table(), spec.Table()}
		i := 0
		for b.Loop() {
			if err := d.Reload(cfgs[i%2]); err != nil {
				b.Fatal(err)
			}
			settle(b, d, k, tables[i%2])
			i++
		}
	})
}
