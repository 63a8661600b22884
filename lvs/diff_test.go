package lvs

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestReconcileChanges drives every kind of change through a Reconciler against the
// in-memory kernel: the ops it reports, then a second reconcile that must issue none.
func TestReconcileChanges(t *testing.T) {
	web := tcp("10.10.10.22:80")
	rs1 := dst("10.10.10.31:80", DR, 1)
	rs2 := dst("10.10.10.32:80", DR, 1)
	v6 := tcp("[2001:db8::22]:443")
	mark := FWMarkKey(7, IPv4)
	mark6 := FWMarkKey(7, IPv6)
	persistent := svc(web, "wrr")
	persistent.Persistence = 50 * time.Second
	persistent.Granularity = 24
	sh := svc(web, "sh")
	sh.SchedFlags = SHPort | SHFallback
	ops := svc(udp("10.10.10.22:53"), "rr")
	ops.OnePacket = true

	tests := []struct {
		name     string
		current  []VirtualServer // the kernel's table before
		previous []VirtualServer // the previous desired table (ownership), if any
		desired  []VirtualServer
		want     []string
		table    []string // the kernel's table after; nil means "do not check"
	}{{
		name:    "add service with destinations",
		desired: []VirtualServer{vs(svc(web, "wrr"), dst("10.10.10.31:80", DR, 3), rs2)},
		want: []string{
			"-A -t 10.10.10.22:80 -s wrr",
			"-a -t 10.10.10.22:80 -r 10.10.10.31:80 -g -w 3",
			"-a -t 10.10.10.22:80 -r 10.10.10.32:80 -g -w 1",
		},
	}, {
		name:     "delete a service the config dropped",
		current:  []VirtualServer{vs(svc(web, "wrr"), rs1)},
		previous: []VirtualServer{vs(svc(web, "wrr"), rs1)},
		desired:  nil,
		want:     []string{"-D -t 10.10.10.22:80"},
		table:    lines(),
	}, {
		name:    "scheduler change",
		current: []VirtualServer{vs(svc(web, "wlc"), rs1)},
		desired: []VirtualServer{vs(svc(web, "rr"), rs1)},
		want:    []string{"-E -t 10.10.10.22:80 -s rr"},
	}, {
		name:    "tunnel type changed",
		current: []VirtualServer{vs(svc(web, "wrr"), dst("10.10.10.31:80", TUN, 1))},
		desired: []VirtualServer{vs(svc(web, "wrr"), withTunnel(dst("10.10.10.31:80", TUN, 1), Tunnel{Type: TunnelGUE, Port: 6080}))},
		want:    []string{"-e -t 10.10.10.22:80 -r 10.10.10.31:80 -i --tun-type gue --tun-port 6080 --tun-nocsum -w 1"},
	}, {
		name:    "persistence engine added",
		current: []VirtualServer{vs(persistent, rs1)},
		desired: []VirtualServer{vs(withPE(persistent, "sip"), rs1)},
		want:    []string{"-E -t 10.10.10.22:80 -s wrr -p 50 -M 255.255.255.0 --pe sip"},
	}, {
		name:    "persistence engine removed",
		current: []VirtualServer{vs(withPE(persistent, "sip"), rs1)},
		desired: []VirtualServer{vs(persistent, rs1)},
		want:    []string{"-E -t 10.10.10.22:80 -s wrr -p 50 -M 255.255.255.0"},
	}, {
		name:    "persistence and granularity",
		current: []VirtualServer{vs(svc(web, "wrr"), rs1)},
		desired: []VirtualServer{vs(persistent, rs1)},
		want:    []string{"-E -t 10.10.10.22:80 -s wrr -p 50 -M 255.255.255.0"},
	}, {
		name:    "scheduler flags",
		current: []VirtualServer{vs(svc(web, "sh"), rs1)},
		desired: []VirtualServer{vs(sh, rs1)},
		want:    []string{"-E -t 10.10.10.22:80 -s sh -b sh-fallback,sh-port"},
	}, {
		name:    "one-packet scheduling",
		current: []VirtualServer{vs(svc(udp("10.10.10.22:53"), "rr"))},
		desired: []VirtualServer{vs(ops)},
		want:    []string{"-E -u 10.10.10.22:53 -s rr -o"},
	}, {
		name:    "add destination",
		current: []VirtualServer{vs(svc(web, "wrr"), rs1)},
		desired: []VirtualServer{vs(svc(web, "wrr"), rs1, rs2)},
		want:    []string{"-a -t 10.10.10.22:80 -r 10.10.10.32:80 -g -w 1"},
	}, {
		name:    "delete destination",
		current: []VirtualServer{vs(svc(web, "wrr"), rs1, rs2)},
		desired: []VirtualServer{vs(svc(web, "wrr"), rs2)},
		want:    []string{"-d -t 10.10.10.22:80 -r 10.10.10.31:80"},
	}, {
		name:    "weight only",
		current: []VirtualServer{vs(svc(web, "wrr"), rs1, rs2)},
		desired: []VirtualServer{vs(svc(web, "wrr"), dst("10.10.10.31:80", DR, 5), rs2)},
		want:    []string{"-e -t 10.10.10.22:80 -r 10.10.10.31:80 -g -w 5"},
	}, {
		name:    "forwarding change",
		current: []VirtualServer{vs(svc(web, "wrr"), rs1)},
		desired: []VirtualServer{vs(svc(web, "wrr"), dst("10.10.10.31:8080", NAT, 1))},
		want: []string{
			"-a -t 10.10.10.22:80 -r 10.10.10.31:8080 -m -w 1",
			"-d -t 10.10.10.22:80 -r 10.10.10.31:80",
		},
	}, {
		name:    "forwarding method of the same destination",
		current: []VirtualServer{vs(svc(web, "wrr"), rs1)},
		desired: []VirtualServer{vs(svc(web, "wrr"), dst("10.10.10.31:80", TUN, 1))},
		want:    []string{"-e -t 10.10.10.22:80 -r 10.10.10.31:80 -i -w 1"},
	}, {
		name:    "thresholds",
		current: []VirtualServer{vs(svc(web, "wrr"), rs1)},
		desired: []VirtualServer{vs(svc(web, "wrr"), Destination{Addr: rs1.Addr, Forward: DR, Weight: 1, Upper: 100, Lower: 10})},
		want:    []string{"-e -t 10.10.10.22:80 -r 10.10.10.31:80 -g -w 1 -x 100 -y 10"},
	}, {
		name:    "fwmark services of both families",
		desired: []VirtualServer{vs(svc(mark, "rr"), dst("10.10.10.31:0", DR, 1)), vs(svc(mark6, "rr"), dst("[2001:db8::31]:0", DR, 1))},
		want: []string{
			"-A -f 7 -s rr",
			"-a -f 7 -r 10.10.10.31:0 -g -w 1",
			"-A -f 7 -6 -s rr",
			"-a -f 7 -6 -r [2001:db8::31]:0 -g -w 1",
		},
	}, {
		name:    "IPv6 service",
		desired: []VirtualServer{vs(Service{Key: v6, Scheduler: "wlc", Persistence: 300 * time.Second, Granularity: 64}, dst("[2001:db8::31]:443", DR, 2))},
		want: []string{
			"-A -t [2001:db8::22]:443 -s wlc -p 300 -M 64",
			"-a -t [2001:db8::22]:443 -r [2001:db8::31]:443 -g -w 2",
		},
	}, {
		name:    "foreign services untouched",
		current: []VirtualServer{vs(svc(tcp("192.0.2.1:25"), "rr"), dst("192.0.2.9:25", NAT, 1))},
		desired: []VirtualServer{vs(svc(web, "rr"), rs1)},
		want: []string{
			"-A -t 10.10.10.22:80 -s rr",
			"-a -t 10.10.10.22:80 -r 10.10.10.31:80 -g -w 1",
		},
		table: lines(
			"-A -t 10.10.10.22:80 -s rr",
			"-A -t 192.0.2.1:25 -s rr",
			"-a -t 10.10.10.22:80 -r 10.10.10.31:80 -g -w 1",
			"-a -t 192.0.2.1:25 -r 192.0.2.9:25 -m -w 1",
		),
	}, {
		name:    "adoption with zero ops",
		current: []VirtualServer{vs(persistent, rs1, rs2), vs(svc(mark, "rr"), dst("10.10.10.31:0", DR, 1))},
		desired: []VirtualServer{vs(svc(mark, "rr"), dst("10.10.10.31:0", DR, 1)), vs(persistent, rs2, rs1)},
		want:    nil,
	}, {
		name:    "a /32 granularity is the default",
		current: []VirtualServer{vs(Service{Key: web, Scheduler: "rr", Persistence: time.Minute, Granularity: 32})},
		desired: []VirtualServer{vs(Service{Key: web, Scheduler: "rr", Persistence: time.Minute})},
		want:    nil,
	}, {
		name:    "kernel-chosen local forwarding matches",
		current: []VirtualServer{vs(svc(web, "rr"), dst("10.10.10.22:80", Local, 1))},
		desired: []VirtualServer{vs(svc(web, "rr"), dst("10.10.10.22:80", DR, 1))},
		want:    nil,
	}, {
		name:     "swap every destination: adds before deletes",
		current:  []VirtualServer{vs(svc(web, "rr"), rs1, rs2)},
		previous: []VirtualServer{vs(svc(web, "rr"), rs1, rs2)},
		desired:  []VirtualServer{vs(svc(web, "rr"), dst("10.10.10.33:80", DR, 1))},
		want: []string{
			"-a -t 10.10.10.22:80 -r 10.10.10.33:80 -g -w 1",
			"-d -t 10.10.10.22:80 -r 10.10.10.31:80",
			"-d -t 10.10.10.22:80 -r 10.10.10.32:80",
		},
	}, {
		name:     "service key change is a delete and an add, the add first",
		current:  []VirtualServer{vs(svc(web, "rr"), rs1)},
		previous: []VirtualServer{vs(svc(web, "rr"), rs1)},
		desired:  []VirtualServer{vs(svc(tcp("10.10.10.22:8080"), "rr"), rs1)},
		want: []string{
			"-A -t 10.10.10.22:8080 -s rr",
			"-a -t 10.10.10.22:8080 -r 10.10.10.31:80 -g -w 1",
			"-D -t 10.10.10.22:80",
		},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := NewMemory()
			seed(t, m, tt.current...)
			r, _ := newTestReconciler(m)
			if tt.previous != nil {
				if err := r.SetDesired(tt.previous); err != nil {
					t.Fatal(err)
				}
			}
			if err := r.SetDesired(tt.desired); err != nil {
				t.Fatal(err)
			}
			ctx := context.Background()
			rep, err := r.Reconcile(ctx)
			if err != nil {
				t.Fatalf("Reconcile: %v", err)
			}
			if diff := cmp.Diff(tt.want, opStrings(rep.Applied)); diff != "" {
				t.Errorf("ops (-want +got):\n%s", diff)
			}
			if tt.table != nil {
				if diff := cmp.Diff(tt.table, tableOf(t, m)); diff != "" {
					t.Errorf("kernel table (-want +got):\n%s", diff)
				}
			}
			before := m.Changes()
			rep, err = r.Reconcile(ctx)
			if err != nil || len(rep.Applied) != 0 || m.Changes() != before {
				t.Errorf("second Reconcile: ops %q, err %v, %d changes; want none", opStrings(rep.Applied), err, m.Changes()-before)
			}
		})
	}
}

func TestDiffOrderIsDeterministic(t *testing.T) {
	var desired []VirtualServer
	for _, ap := range []string{"10.0.0.3:80", "10.0.0.1:80", "10.0.0.2:80"} {
		desired = append(desired, vs(svc(tcp(ap), "rr")))
	}
	got := opStrings(Diff(nil, desired, nil))
	want := []string{"-A -t 10.0.0.1:80 -s rr", "-A -t 10.0.0.2:80 -s rr", "-A -t 10.0.0.3:80 -s rr"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// A short list of real servers is diffed by linear search and a long one through maps: both
// must find the same additions, updates and deletions, in the same order.
func TestDiffShortAndLongDestinationLists(t *testing.T) {
	for _, n := range []int{3, smallDests, smallDests + 1, 3 * smallDests} {
		cur := wideService(1, n)
		want := wideService(1, n)
		want.Destinations = append(want.Destinations[:1:1], want.Destinations[2:]...) // drop the second
		want.Destinations[1].Weight = 9                                               // the third, now second
		added := dst("10.30.0.1:80", NAT, 2)
		want.Destinations = append([]Destination{added}, want.Destinations...)
		k := cur.Service.Key.String()
		wantOps := []string{
			"-a " + k + " -r 10.30.0.1:80 -m -w 2",
			"-e " + k + " -r " + cur.Destinations[2].Addr.String() + " -g -w 9",
			"-d " + k + " -r " + cur.Destinations[1].Addr.String(),
		}
		if diff := cmp.Diff(wantOps, opStrings(Diff([]VirtualServer{cur}, []VirtualServer{want}, nil))); diff != "" {
			t.Errorf("%d destinations: ops (-want +got):\n%s", n, diff)
		}
		if ops := Diff([]VirtualServer{want}, []VirtualServer{want}, nil); len(ops) != 0 {
			t.Errorf("%d destinations: unchanged, yet %q", n, opStrings(ops))
		}
	}
}

func withPE(s Service, pe string) Service {
	s.PE = pe
	return s
}

func withTunnel(d Destination, t Tunnel) Destination {
	d.Tunnel = t
	return d
}
