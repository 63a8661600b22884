package main

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/halvs/halvs/lvs"
)

// table is the synthetic IPVS table the benchmark programs: services TCP virtual servers
// 10.1.X.Y:80 (wrr, DR), each with perService real servers of its own, 10.(2+j).X.Y:80, at
// weights 1 to 5. Every tool gets the same table in its own notation.
type table struct {
	services   int
	perService int
}

func (t table) String() string { return fmt.Sprintf("%d × %d", t.services, t.perService) }

// vip is service i's address.
func (t table) vip(i int) netip.AddrPort {
	return netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, 1, byte(i >> 8), byte(i)}), 80)
}

// rs is real server j of service i. DR forwards to the virtual port, so it is 80 too.
func (t table) rs(i, j int) netip.AddrPort {
	return netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, byte(2 + j), byte(i >> 8), byte(i)}), 80)
}

func (t table) weight(i, j int) int { return 1 + (i+j)%5 }

// lvs is the table in lvs' model: what every tool must leave in the kernel.
func (t table) lvs() []lvs.VirtualServer {
	out := make([]lvs.VirtualServer, t.services)
	for i := range out {
		vs := lvs.VirtualServer{Service: lvs.Service{Key: lvs.NewServiceKey(lvs.TCP, t.vip(i)), Scheduler: "wrr"}}
		for j := range t.perService {
			vs.Destinations = append(vs.Destinations, lvs.Destination{Addr: t.rs(i, j), Forward: lvs.DR, Weight: t.weight(i, j)})
		}
		out[i] = vs
	}
	return out
}

// hcl is halvs' configuration of the table with real server (svc, dst) at weight w instead
// of its own (svc < 0: no change): one virtual_server per service, no checkers, so
// `halvs ipvs` adds every real server at its configured weight.
func (t table) hcl(svc, dst, w int) string {
	var b strings.Builder
	b.WriteString("global {\n  router_id = \"LVS_BENCH\"\n}\n")
	for i := range t.services {
		fmt.Fprintf(&b, "\nvirtual_server %q {\n  lb_algo  = \"wrr\"\n  lb_kind  = \"DR\"\n  protocol = \"TCP\"\n", t.vip(i))
		for j := range t.perService {
			weight := t.weight(i, j)
			if i == svc && j == dst {
				weight = w
			}
			fmt.Fprintf(&b, "  real_server %q {\n    weight = %d\n  }\n", t.rs(i, j), weight)
		}
		b.WriteString("}\n")
	}
	return b.String()
}

// keepalived is keepalived's configuration of the table. Real servers without a checker are
// up from the start, so keepalived -C adds them all when it starts.
func (t table) keepalived() string {
	var b strings.Builder
	b.WriteString("global_defs {\n    router_id LVS_BENCH\n}\n")
	for i := range t.services {
		v := t.vip(i)
		fmt.Fprintf(&b, "\nvirtual_server %s %d {\n    lb_algo wrr\n    lb_kind DR\n    protocol TCP\n", v.Addr(), v.Port())
		for j := range t.perService {
			r := t.rs(i, j)
			fmt.Fprintf(&b, "    real_server %s %d {\n        weight %d\n    }\n", r.Addr(), r.Port(), t.weight(i, j))
		}
		b.WriteString("}\n")
	}
	return b.String()
}

// restore is the table as `ipvsadm --restore` reads it (the format `ipvsadm --save` writes).
func (t table) restore() string {
	var b strings.Builder
	for i := range t.services {
		fmt.Fprintf(&b, "-A -t %s -s wrr\n", t.vip(i))
		for j := range t.perService {
			fmt.Fprintf(&b, "-a -t %s -r %s -g -w %d\n", t.vip(i), t.rs(i, j), t.weight(i, j))
		}
	}
	return b.String()
}

// editIpvsadm is the ipvsadm command line that sets real server (svc, dst) to weight w.
func (t table) editIpvsadm(svc, dst, w int) []string {
	return []string{"-e", "-t", t.vip(svc).String(), "-r", t.rs(svc, dst).String(), "-g", "-w", fmt.Sprint(w)}
}
