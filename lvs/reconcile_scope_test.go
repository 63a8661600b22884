package lvs

import (
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// readCounting is Memory that records the reads the reconciler makes: whole-table walks and
// the services read alone.
type readCounting struct {
	*Memory
	reads reads
}

type reads struct {
	Table int      // Services calls
	One   []string // Service calls, by key
}

func (b *readCounting) Services() ([]VirtualServer, error) {
	b.reads.Table++
	return b.Memory.Services()
}

func (b *readCounting) Service(k ServiceKey) (VirtualServer, error) {
	b.reads.One = append(b.reads.One, k.String())
	return b.Memory.Service(k)
}

// withWeight is table with destination j of service i (wideService numbering) at weight w.
func withWeight(table []VirtualServer, i, j, w int) []VirtualServer {
	out := make([]VirtualServer, len(table))
	for n, v := range table {
		v.Destinations = append([]Destination(nil), v.Destinations...)
		if n == i-1 {
			v.Destinations[j].Weight = w
		}
		out[n] = v
	}
	return out
}

// TestScopedReconcile shows that Reconcile, which diffs only the services whose state it does
// not know or whose desired state changed, applies the operations a diff of the whole table
// would, and reads from the kernel only the services it does not know.
func TestScopedReconcile(t *testing.T) {
	base := []VirtualServer{wideService(1, 3), wideService(2, 3), wideService(3, 3),
		wideService(4, 3), wideService(5, 3), wideService(6, 3)}
	rescheduled := append([]VirtualServer(nil), base...)
	rescheduled[1].Service.Scheduler = "rr"
	key := func(i int) string { return base[i-1].Service.Key.String() }
	svc7 := wideService(7, 2)

	tests := []struct {
		name string
		// failing, when set, makes the operations it matches fail in a reconcile to next
		// before the one measured.
		failing func(Op) bool
		kernel  func(t *testing.T, m *Memory) // changes behind the reconciler's back first
		restart bool                          // the measured reconcile is a new Reconciler's first
		next    []VirtualServer
		want    []string
		reads   reads
	}{
		{name: "unchanged table", next: base},
		{
			name: "one weight changed",
			next: withWeight(base, 3, 1, 5),
			want: []string{"-e -t 10.10.10.3:80 -r 10.20.3.1:80 -g -w 5"},
		},
		{
			name: "scheduler changed",
			next: rescheduled,
			want: []string{"-E -t 10.10.10.2:80 -s rr"},
		},
		{
			name: "service added",
			next: append(append([]VirtualServer(nil), base...), svc7),
			want: []string{
				"-A -t 10.10.10.7:80 -s wrr",
				"-a -t 10.10.10.7:80 -r 10.20.7.0:80 -g -w 1",
				"-a -t 10.10.10.7:80 -r 10.20.7.1:80 -g -w 1",
			},
			reads: reads{One: []string{svc7.Service.Key.String()}},
		},
		{
			name:   "service added that is already programmed: adopted",
			kernel: func(t *testing.T, m *Memory) { seed(t, m, svc7) },
			next:   append(append([]VirtualServer(nil), base...), svc7),
			reads:  reads{One: []string{svc7.Service.Key.String()}},
		},
		{
			name: "service removed",
			next: base[:5],
			want: []string{"-D -t 10.10.10.6:80"},
		},
		{
			name:    "failed update: the service is read again",
			failing: func(o Op) bool { return o.Kind == UpdateDestination },
			next:    withWeight(base, 4, 2, 9),
			want:    []string{"-e -t 10.10.10.4:80 -r 10.20.4.2:80 -g -w 9"},
			reads:   reads{One: []string{key(4)}},
		},
		{
			name:    "failed deletion: the removed service is read again",
			failing: func(o Op) bool { return o.Kind == DeleteService },
			next:    base[:5],
			want:    []string{"-D -t 10.10.10.6:80"},
			reads:   reads{One: []string{key(6)}},
		},
		{
			name:    "removed service gone already after its deletion failed",
			failing: func(o Op) bool { return o.Kind == DeleteService },
			kernel: func(t *testing.T, m *Memory) {
				if err := m.DeleteService(base[5].Service.Key); err != nil {
					t.Fatal(err)
				}
			},
			next:  base[:5],
			reads: reads{One: []string{key(6)}},
		},
		{
			name:    "restart adopts the programmed table with one read",
			restart: true,
			next:    base,
			reads:   reads{Table: 1},
		},
		{
			name:    "restart with one weight changed",
			restart: true,
			next:    withWeight(base, 1, 0, 2),
			want:    []string{"-e -t 10.10.10.1:80 -r 10.20.1.0:80 -g -w 2"},
			reads:   reads{Table: 1},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := NewMemory()
			b := &readCounting{Memory: m}
			r, _ := newTestReconciler(b)
			mustSet(t, r, base...)
			mustReconcile(t, r)
			if tc.failing != nil {
				m.Fail = func(o Op) error {
					if tc.failing(o) {
						return syscall.EPERM
					}
					return nil
				}
				mustSet(t, r, tc.next...)
				if _, err := r.Reconcile(bg); err == nil {
					t.Fatal("the reconcile meant to fail did not")
				}
				m.Fail = nil
			}
			if tc.kernel != nil {
				tc.kernel(t, m)
			}
			if tc.restart {
				r, _ = newTestReconciler(b)
			}
			mustSet(t, r, tc.next...)

			// What a diff of the whole table would apply now.
			cur, err := m.Services()
			if err != nil {
				t.Fatal(err)
			}
			owned := map[ServiceKey]bool{}
			for _, k := range r.Owned() {
				owned[k] = true
			}
			full := opStrings(Diff(cur, r.effectiveTable(), owned))

			b.reads = reads{}
			got := mustReconcile(t, r)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("operations (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(full, got); diff != "" {
				t.Errorf("operations against a diff of the whole table (-full +scoped):\n%s", diff)
			}
			if diff := cmp.Diff(tc.reads, b.reads); diff != "" {
				t.Errorf("kernel reads (-want +got):\n%s", diff)
			}
			after, _ := m.Services()
			if ops := Diff(after, tc.next, nil); len(ops) != 0 {
				t.Errorf("the table differs from the desired one afterwards: %v", opStrings(ops))
			}
			// And once converged, the next reconcile reads nothing and does nothing.
			b.reads = reads{}
			if again := mustReconcile(t, r); len(again) != 0 || b.reads.Table != 0 || len(b.reads.One) != 0 {
				t.Errorf("second reconcile: operations %v, reads %+v; want none", again, b.reads)
			}
		})
	}
}
