package lvs

import (
	"context"
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp/cmpopts"
)

// equateNet lets cmp compare the netip values inside keys and destinations.
var equateNet = cmpopts.EquateComparable(netip.AddrPort{}, netip.Addr{})

func tcp(ap string) ServiceKey { return NewServiceKey(TCP, netip.MustParseAddrPort(ap)) }
func udp(ap string) ServiceKey { return NewServiceKey(UDP, netip.MustParseAddrPort(ap)) }

func svc(k ServiceKey, sched string) Service { return Service{Key: k, Scheduler: sched} }

func dst(ap string, fwd Forwarding, w int) Destination {
	return Destination{Addr: netip.MustParseAddrPort(ap), Forward: fwd, Weight: w}
}

func vs(s Service, ds ...Destination) VirtualServer {
	return VirtualServer{Service: s, Destinations: ds}
}

// seed programs table into m directly, as another tool (or an earlier halvs) would have.
func seed(t *testing.T, m Backend, table ...VirtualServer) {
	t.Helper()
	for _, v := range table {
		if err := m.AddService(v.Service); err != nil {
			t.Fatalf("seed %s: %v", v.Service, err)
		}
		for _, d := range v.Destinations {
			if err := m.AddDestination(v.Service.Key, d); err != nil {
				t.Fatalf("seed %s %s: %v", v.Service.Key, d.Addr, err)
			}
		}
	}
}

func opStrings(ops []Op) []string {
	if len(ops) == 0 {
		return nil
	}
	out := make([]string, len(ops))
	for i, o := range ops {
		out[i] = o.String()
	}
	return out
}

// fakeSleep records the backoff waits instead of sleeping.
type fakeSleep struct{ waits []time.Duration }

func (f *fakeSleep) sleep(_ context.Context, d time.Duration) error {
	f.waits = append(f.waits, d)
	return nil
}

func newTestReconciler(b Backend) (*Reconciler, *fakeSleep) {
	fs := &fakeSleep{}
	return NewReconciler(b, Options{Sleep: fs.sleep}), fs
}

// tableOf renders a backend's table in ipvsadm --save order-independent form.
func tableOf(t *testing.T, b Backend) []string {
	t.Helper()
	cur, err := b.Services()
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, v := range cur {
		out = append(out, v.Service.String())
		for _, d := range v.Destinations {
			out = append(out, "-a "+v.Service.Key.String()+" "+d.spec())
		}
	}
	slices.Sort(out)
	return out
}

func lines(s ...string) []string {
	if len(s) == 0 {
		return nil
	}
	return s
}

func netipAP(s string) netip.AddrPort { return netip.MustParseAddrPort(s) }

func mustServices(t *testing.T, b Backend) []VirtualServer {
	t.Helper()
	got, err := b.Services()
	if err != nil {
		t.Fatalf("Services: %v", err)
	}
	return got
}

// sortedTable orders services by key and destinations by address, for comparisons.
func sortedTable(table []VirtualServer) []VirtualServer {
	out := make([]VirtualServer, len(table))
	for i, v := range table {
		v.Destinations = slices.Clone(v.Destinations)
		slices.SortFunc(v.Destinations, func(a, b Destination) int { return a.Addr.Compare(b.Addr) })
		out[i] = v
	}
	slices.SortFunc(out, func(a, b VirtualServer) int { return compareKeys(a.Service.Key, b.Service.Key) })
	return out
}
