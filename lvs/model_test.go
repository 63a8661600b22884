package lvs

import (
	"net/netip"
	"strings"
	"testing"
	"time"
)

func TestServiceString(t *testing.T) {
	tests := []struct {
		name string
		s    Service
		want string
	}{
		{"tcp", svc(web, "wrr"), "-A -t 10.10.10.22:80 -s wrr"},
		{"udp ops", Service{Key: udp("10.10.10.22:53"), Scheduler: "rr", OnePacket: true}, "-A -u 10.10.10.22:53 -s rr -o"},
		{"sctp", svc(NewServiceKey(SCTP, netip.MustParseAddrPort("10.0.0.1:3868")), "rr"), "-A --sctp-service 10.0.0.1:3868 -s rr"},
		{"mapped IPv4 is IPv4", svc(tcp("[::ffff:10.0.0.1]:80"), "rr"), "-A -t 10.0.0.1:80 -s rr"},
		{"persistent /32 omits -M", Service{Key: web, Scheduler: "rr", Persistence: 360 * time.Second}, "-A -t 10.10.10.22:80 -s rr -p 360"},
		{"mh flags", Service{Key: web, Scheduler: "mh", SchedFlags: MHPort}, "-A -t 10.10.10.22:80 -s mh -b mh-port"},
		{"generic flags", Service{Key: web, Scheduler: "wlc", SchedFlags: SchedFlag1 | SchedFlag3}, "-A -t 10.10.10.22:80 -s wlc -b flag-1,flag-3"},
		{"fwmark v6", svc(FWMarkKey(3, IPv6), "rr"), "-A -f 3 -6 -s rr"},
		{"persistence engine", Service{Key: udp("10.10.10.22:5060"), Scheduler: "rr", Persistence: 60 * time.Second, Granularity: 24, PE: "sip"}, "-A -u 10.10.10.22:5060 -s rr -p 60 -M 255.255.255.0 --pe sip"},
	}
	for _, tt := range tests {
		if got := tt.s.String(); got != tt.want {
			t.Errorf("%s: %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestDestinationOpString(t *testing.T) {
	o := Op{Kind: AddDestination, Service: Service{Key: web}, Dest: dst("10.10.10.31:80", DR, 3)}
	if got, want := o.String(), "-a -t 10.10.10.22:80 -r 10.10.10.31:80 -g -w 3"; got != want {
		t.Errorf("%q, want %q", got, want)
	}
}

func TestValidateRejects(t *testing.T) {
	good := vs(svc(web, "rr"), rs1)
	tests := []struct {
		name  string
		table []VirtualServer
		msg   string
	}{
		{"duplicate service", []VirtualServer{good, good}, "listed twice"},
		{"duplicate destination", []VirtualServer{vs(svc(web, "rr"), rs1, rs1)}, "listed twice"},
		{"duplicate destination, last of a few", []VirtualServer{withDup(wideService(1, smallDests))}, "listed twice"},
		{"duplicate destination, last of many", []VirtualServer{withDup(wideService(1, 3*smallDests))}, "listed twice"},
		{"family mismatch", []VirtualServer{vs(svc(web, "rr"), dst("[2001:db8::1]:80", DR, 1))}, "is not IPv4"},
		{"hand-built mapped key", []VirtualServer{vs(svc(ServiceKey{Family: IPv6, Protocol: TCP, Addr: netip.MustParseAddrPort("[::ffff:10.0.0.1]:80")}, "rr"))}, "family"},
		{"no scheduler", []VirtualServer{vs(svc(web, ""))}, "scheduler"},
		{"weight", []VirtualServer{vs(svc(web, "rr"), dst("10.0.0.1:80", DR, -1))}, "weight"},
		{"weight above MaxWeight", []VirtualServer{vs(svc(web, "rr"), dst("10.0.0.1:80", DR, MaxWeight+1))}, "weight"},
		{"thresholds", []VirtualServer{vs(svc(web, "rr"), Destination{Addr: rs1.Addr, Forward: DR, Upper: 5, Lower: 9})}, "threshold"},
		{"local forwarding", []VirtualServer{vs(svc(web, "rr"), dst("10.0.0.1:80", Local, 1))}, "forwarding"},
		{"fractional persistence", []VirtualServer{vs(Service{Key: web, Scheduler: "rr", Persistence: 1500 * time.Millisecond})}, "whole"},
		{"granularity without persistence", []VirtualServer{vs(Service{Key: web, Scheduler: "rr", Granularity: 24})}, "without"},
		{"granularity too long", []VirtualServer{vs(Service{Key: web, Scheduler: "rr", Persistence: time.Minute, Granularity: 33})}, "out of range"},
		{"persistence engine without persistence", []VirtualServer{vs(Service{Key: web, Scheduler: "rr", PE: "sip"})}, "persistence engine without"},
		{"persistence engine name", []VirtualServer{vs(Service{Key: web, Scheduler: "rr", Persistence: time.Minute, PE: "SIP"})}, "invalid persistence engine"},
		{"persistence engine name too long", []VirtualServer{vs(Service{Key: web, Scheduler: "rr", Persistence: time.Minute, PE: "abcdefghijklmnop"})}, "invalid persistence engine"},
		{"protocol", []VirtualServer{vs(svc(NewServiceKey(Protocol(99), web.Addr), "rr"))}, "protocol"},
		{"unspecified address", []VirtualServer{vs(svc(tcp("0.0.0.0:80"), "rr"))}, "unspecified"},
		{"bad sorry server", []VirtualServer{{Service: svc(web, "rr"), Sorry: dst("[2001:db8::1]:80", DR, 1)}}, "sorry"},
	}
	for _, tt := range tests {
		err := Validate(tt.table)
		if err == nil || !strings.Contains(err.Error(), tt.msg) {
			t.Errorf("%s: err = %v, want one mentioning %q", tt.name, err, tt.msg)
		}
	}
	if err := Validate([]VirtualServer{good, wideService(1, smallDests), wideService(2, 3*smallDests)}); err != nil {
		t.Errorf("valid table: %v", err)
	}
	if err := Validate([]VirtualServer{vs(svc(web, "rr"), dst("10.0.0.1:80", DR, MaxWeight))}); err != nil {
		t.Errorf("weight MaxWeight: %v", err)
	}
}

// withDup is v with its second destination listed again at the end.
func withDup(v VirtualServer) VirtualServer {
	v.Destinations = append(v.Destinations, v.Destinations[1])
	return v
}

func TestClampWeight(t *testing.T) {
	tests := []struct {
		name string
		w    int64
		want int
	}{
		{"in range", 5, 5},
		{"zero", 0, 0},
		{"negative is 0", -3, 0},
		{"max", MaxWeight, MaxWeight},
		{"above max is max", MaxWeight + 10, MaxWeight},
	}
	for _, tt := range tests {
		if got := ClampWeight(tt.w); got != tt.want {
			t.Errorf("%s: ClampWeight(%d) = %d, want %d", tt.name, tt.w, got, tt.want)
		}
	}
}
