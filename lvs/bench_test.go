package lvs

import (
	"context"
	"fmt"
	"net/netip"
	"testing"
)

// bigTable is n services of 10 DR destinations each.
func bigTable(n int) []VirtualServer {
	table := make([]VirtualServer, n)
	for i := range table {
		k := NewServiceKey(TCP, netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, 1, byte(i >> 8), byte(i)}), 80))
		v := VirtualServer{Service: Service{Key: k, Scheduler: "wrr"}}
		for j := range 10 {
			a := netip.AddrFrom4([4]byte{10, 2, byte(i >> 8), byte(i)})
			v.Destinations = append(v.Destinations, Destination{Addr: netip.AddrPortFrom(a, uint16(8000+j)), Forward: DR, Weight: 1})
		}
		table[i] = v
	}
	return table
}

// BenchmarkDiff1000x10 diffs an unchanged 1,000 × 10 table (the cost of every periodic or
// restart reconcile, which must find nothing to do).
func BenchmarkDiff1000x10(b *testing.B) {
	table := bigTable(1000)
	current := sortedTable(table)
	owned := map[ServiceKey]bool{}
	for _, v := range table {
		owned[v.Service.Key] = true
	}
	b.ReportAllocs()
	for b.Loop() {
		if ops := Diff(current, table, owned); len(ops) != 0 {
			b.Fatalf("%d ops on an unchanged table", len(ops))
		}
	}
}

// BenchmarkProgram1000x10 programs a 1,000 × 10 table from empty into the in-memory kernel.
func BenchmarkProgram1000x10(b *testing.B) {
	table := bigTable(1000)
	b.ReportAllocs()
	for b.Loop() {
		r := NewReconciler(NewMemory(), Options{})
		if err := r.SetDesired(table); err != nil {
			b.Fatal(err)
		}
		if rep, err := r.Reconcile(context.Background()); err != nil || len(rep.Applied) != 11000 {
			b.Fatalf("%d ops, %v", len(rep.Applied), err)
		}
	}
}

// BenchmarkWeightChange10000 applies one health-check weight change in a 10,000-destination
// table: one operation, no read of the table.
func BenchmarkWeightChange10000(b *testing.B) {
	table := bigTable(1000)
	m := NewMemory()
	r := NewReconciler(m, Options{})
	if err := r.SetDesired(table); err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	if _, err := r.Reconcile(ctx); err != nil {
		b.Fatal(err)
	}
	k, d := table[500].Service.Key, table[500].Destinations[5].Addr
	b.ReportAllocs()
	w := 1
	for b.Loop() {
		w = w%100 + 1
		rep, err := r.SetWeight(ctx, k, d, w+1)
		if err != nil || len(rep.Applied) != 1 {
			b.Fatalf("%s, %v", rep, err)
		}
	}
}

// BenchmarkReconcileOneWeightChange is the same change found by a full reconcile (a reload
// that changed one weight): one operation after reading and diffing the whole table.
func BenchmarkReconcileOneWeightChange(b *testing.B) {
	table := bigTable(1000)
	r := NewReconciler(NewMemory(), Options{})
	ctx := context.Background()
	if err := r.SetDesired(table); err != nil {
		b.Fatal(err)
	}
	if _, err := r.Reconcile(ctx); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		table[500].Destinations[5].Weight = 2 + i%2
		if err := r.SetDesired(table); err != nil {
			b.Fatal(err)
		}
		if rep, err := r.Reconcile(ctx); err != nil || len(rep.Applied) != 1 {
			b.Fatal(fmt.Sprint(len(rep.Applied), " ops, ", err))
		}
	}
}
