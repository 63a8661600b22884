package lvs

import (
	"errors"
	"fmt"
	"net/netip"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// batchMemory is Memory with the batcher interface: each batch applies its operations in
// order and goes on after a failure, as the kernel does with a batch of netlink messages.
type batchMemory struct {
	*Memory
	batches [][]OpKind
	before  func() // called after each table read, to race the reconciler
}

func (b *batchMemory) applyBatch(ops []Op) []error {
	kinds := make([]OpKind, len(ops))
	errs := make([]error, len(ops))
	for i, o := range ops {
		kinds[i] = o.Kind
		errs[i] = apply(b.Memory, o)
	}
	b.batches = append(b.batches, kinds)
	return errs
}

func (b *batchMemory) Services() ([]VirtualServer, error) {
	out, err := b.Memory.Services()
	if b.before != nil {
		b.before()
	}
	return out, err
}

// wideService is service i with n DR real servers 10.20.i.j:80.
func wideService(i, n int) VirtualServer {
	k := tcp(fmt.Sprintf("10.10.10.%d:80", i))
	v := VirtualServer{Service: svc(k, "wrr")}
	for j := range n {
		v.Destinations = append(v.Destinations, Destination{
			Addr: netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, 20, byte(i), byte(j)}), 80), Forward: DR, Weight: 1})
	}
	return v
}

func TestBatchedReconcile(t *testing.T) {
	b := &batchMemory{Memory: NewMemory()}
	r, _ := newTestReconciler(b)
	table := []VirtualServer{wideService(1, 50), wideService(2, 50), wideService(3, 50)}
	mustSet(t, r, table...)
	got := mustReconcile(t, r)
	want := opStrings(Diff(nil, table, nil))
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("applied (-want +got):\n%s", diff)
	}
	if ops := Diff(mustServices(t, b.Memory), table, nil); len(ops) != 0 {
		t.Errorf("after the batched reconcile, %d operations remain: %q", len(ops), opStrings(ops))
	}
	// 153 additions: batches of 64, 64 and 25.
	var sizes []int
	for _, k := range b.batches {
		sizes = append(sizes, len(k))
	}
	if diff := cmp.Diff([]int{64, 64, 25}, sizes); diff != "" {
		t.Errorf("batch sizes (-want +got):\n%s", diff)
	}

	// Swap real servers and drop a service: additions and deletions never share a batch,
	// and every retried or batched operation keeps the order of the diff.
	b.batches = nil
	table = []VirtualServer{wideService(1, 40), wideService(2, 60)}
	mustSet(t, r, table...)
	mustReconcile(t, r)
	for _, kinds := range b.batches {
		for _, k := range kinds {
			if batchClass(k) != batchClass(kinds[0]) {
				t.Errorf("batch mixes %s and %s: %v", kinds[0], k, kinds)
			}
		}
	}
	if ops := Diff(mustServices(t, b.Memory), table, map[ServiceKey]bool{wideService(3, 0).Service.Key: true}); len(ops) != 0 {
		t.Errorf("after the batched reconcile, %d operations remain: %q", len(ops), opStrings(ops))
	}
}

// A transient failure inside a batch is retried alone, with backoff, and the rest of the
// batch is applied.
func TestBatchFailureRetriedAlone(t *testing.T) {
	b := &batchMemory{Memory: NewMemory()}
	failing := wideService(1, 10).Destinations[4]
	fails := 2 // the batch's attempt and the first retry
	b.Fail = func(o Op) error {
		if o.Kind == AddDestination && o.Dest.Addr == failing.Addr && fails > 0 {
			fails--
			return syscall.ENOMEM
		}
		return nil
	}
	r, fs := newTestReconciler(b)
	mustSet(t, r, wideService(1, 10))
	if got := mustReconcile(t, r); len(got) != 11 {
		t.Errorf("applied %d operations, want 11: %q", len(got), got)
	}
	if len(fs.waits) != 1 {
		t.Errorf("waits %v, want one backoff for the retry that failed", fs.waits)
	}
	if ops := Diff(mustServices(t, b.Memory), []VirtualServer{wideService(1, 10)}, nil); len(ops) != 0 {
		t.Errorf("not converged: %q", opStrings(ops))
	}
}

// Races a fresh read would resolve (the service and a real server added behind our back)
// are absorbed as without batches: the failed additions become updates.
func TestBatchAbsorbsRaces(t *testing.T) {
	b := &batchMemory{Memory: NewMemory()}
	want := wideService(1, 3)
	b.before = func() {
		_ = b.Memory.AddService(svc(want.Service.Key, "wlc"))
		_ = b.Memory.AddDestination(want.Service.Key, want.Destinations[1])
		b.before = nil
	}
	r, _ := newTestReconciler(b)
	mustSet(t, r, want)
	got := mustReconcile(t, r)
	// Reported in the diff's order, each as finally applied.
	wantOps := []string{
		"-E -t 10.10.10.1:80 -s wrr",
		"-a -t 10.10.10.1:80 -r 10.20.1.0:80 -g -w 1",
		"-e -t 10.10.10.1:80 -r 10.20.1.1:80 -g -w 1",
		"-a -t 10.10.10.1:80 -r 10.20.1.2:80 -g -w 1",
	}
	if diff := cmp.Diff(wantOps, got); diff != "" {
		t.Errorf("applied (-want +got):\n%s", diff)
	}
	if ops := Diff(mustServices(t, b.Memory), []VirtualServer{want}, nil); len(ops) != 0 {
		t.Errorf("not converged: %q", opStrings(ops))
	}
}

// A service the kernel refuses takes its real servers' operations down with it, reported
// as failures, as without batches.
func TestBatchPermanentFailure(t *testing.T) {
	b := &batchMemory{Memory: NewMemory()}
	b.Fail = func(o Op) error {
		if o.Kind == AddService && o.Service.Key == wideService(1, 0).Service.Key {
			return syscall.EINVAL
		}
		return nil
	}
	r, fs := newTestReconciler(b)
	mustSet(t, r, wideService(1, 5), wideService(2, 5))
	rep, err := r.Reconcile(bg)
	if !errors.Is(err, syscall.EINVAL) {
		t.Fatalf("err = %v, want EINVAL", err)
	}
	if len(rep.Failed) != 6 || len(rep.Applied) != 6 || len(fs.waits) != 0 {
		t.Errorf("%d failed, %d applied, waits %v; want 6, 6 and no wait", len(rep.Failed), len(rep.Applied), fs.waits)
	}
}
