// Package scaleconf writes the large configuration that reload at scale is tested and
// measured with (issue 10): one VRRPv3 instance and Services TCP virtual servers of
// PerService real servers each, no health checks, in halvs' HCL and in keepalived.conf.
// The director's reload test, its benchmark and the VM bench's reload section share it,
// so that the three speak of the same table.
package scaleconf

import (
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/halvs/halvs/lvs"
)

// Spec is one such configuration. Virtual server i is 10.1.X.Y:80 (X.Y = i), wrr and DR;
// its real server j is 10.(2+j).X.Y:80 at weight 1 unless Weights says otherwise. Real
// servers carry no checker, so each is in the table from the start at its weight.
type Spec struct {
	Services   int // at most 65,536
	PerService int // at most 200
	// The VRRP instance "VI_SCALE": MASTER on Interface, VRID 51, VRRPv3, advertising every
	// AdvertInt, holding VIP.
	Interface string
	Priority  int
	AdvertInt time.Duration
	VIP       netip.Prefix
	// ControlSocket, when set, is global.control_socket.
	ControlSocket string
	// Weights overrides the weight of some real servers: Weights[Dest{i, j}].
	Weights map[Dest]int
}

// Dest names real server J of virtual server I.
type Dest struct{ I, J int }

// Issue10 is the issue's table: 2,000 virtual servers × 16 real servers (32,000
// destinations) and one instance at advert_int 0.1 s.
func Issue10(iface string, vip netip.Prefix) Spec {
	return Spec{Services: 2000, PerService: 16, Interface: iface, Priority: 150,
		AdvertInt: 100 * time.Millisecond, VIP: vip}
}

// Validate refuses sizes whose addresses would wrap.
func (s Spec) Validate() error {
	if s.Services < 1 || s.Services > 1<<16 || s.PerService < 1 || s.PerService > 200 {
		return fmt.Errorf("scaleconf: %d × %d: want 1..65536 services of 1..200 real servers", s.Services, s.PerService)
	}
	if s.AdvertInt < 10*time.Millisecond || s.AdvertInt%(10*time.Millisecond) != 0 {
		return fmt.Errorf("scaleconf: advert_int %v: VRRPv3 counts it in centiseconds", s.AdvertInt)
	}
	return nil
}

func (s Spec) String() string {
	return fmt.Sprintf("%d × %d", s.Services, s.PerService)
}

// VirtualServer is virtual server i's address.
func (s Spec) VirtualServer(i int) netip.AddrPort {
	return netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, 1, byte(i >> 8), byte(i)}), 80)
}

// RealServer is real server d's address. DR forwards to the virtual port, so it is 80 too.
func (s Spec) RealServer(d Dest) netip.AddrPort {
	return netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, byte(2 + d.J), byte(d.I >> 8), byte(d.I)}), 80)
}

// Weight is real server d's configured weight.
func (s Spec) Weight(d Dest) int {
	if w, ok := s.Weights[d]; ok {
		return w
	}
	return 1
}

// WithWeight is s with real server d at weight w; s itself is unchanged.
func (s Spec) WithWeight(d Dest, w int) Spec {
	ws := make(map[Dest]int, len(s.Weights)+1)
	for k, v := range s.Weights {
		ws[k] = v
	}
	ws[d] = w
	s.Weights = ws
	return s
}

// Table is the IPVS table the configuration programs.
func (s Spec) Table() []lvs.VirtualServer {
	out := make([]lvs.VirtualServer, s.Services)
	for i := range out {
		vs := lvs.VirtualServer{Service: lvs.Service{Key: lvs.NewServiceKey(lvs.TCP, s.VirtualServer(i)), Scheduler: "wrr"}}
		for j := range s.PerService {
			d := Dest{i, j}
			vs.Destinations = append(vs.Destinations, lvs.Destination{Addr: s.RealServer(d), Forward: lvs.DR, Weight: s.Weight(d)})
		}
		out[i] = vs
	}
	return out
}

// HCL is halvs' configuration.
func (s Spec) HCL() []byte {
	var b strings.Builder
	b.Grow(s.Services * (100 + 50*s.PerService))
	b.WriteString("global {\n  router_id = \"SCALE\"\n")
	if s.ControlSocket != "" {
		fmt.Fprintf(&b, "  control_socket = %q\n", s.ControlSocket)
	}
	b.WriteString("}\n")
	fmt.Fprintf(&b, `
vrrp_instance "VI_SCALE" {
  state             = "MASTER"
  interface         = %q
  virtual_router_id = 51
  priority          = %d
  advert_int        = "%dms"
  version           = 3
  virtual_ipaddress = [%q]
}
`, s.Interface, s.Priority, s.AdvertInt.Milliseconds(), s.VIP)
	for i := range s.Services {
		fmt.Fprintf(&b, "\nvirtual_server %q {\n  lb_algo  = \"wrr\"\n  lb_kind  = \"DR\"\n  protocol = \"TCP\"\n", s.VirtualServer(i))
		for j := range s.PerService {
			d := Dest{i, j}
			fmt.Fprintf(&b, "  real_server %q {\n    weight = %d\n  }\n", s.RealServer(d), s.Weight(d))
		}
		b.WriteString("}\n")
	}
	return []byte(b.String())
}

// Keepalived is the same configuration in keepalived.conf.
func (s Spec) Keepalived() []byte {
	var b strings.Builder
	b.Grow(s.Services * (100 + 60*s.PerService))
	fmt.Fprintf(&b, `global_defs {
    router_id SCALE
}

vrrp_instance VI_SCALE {
    state MASTER
    interface %s
    virtual_router_id 51
    priority %d
    advert_int %g
    version 3
    virtual_ipaddress {
        %s
    }
}
`, s.Interface, s.Priority, s.AdvertInt.Seconds(), s.VIP)
	for i := range s.Services {
		v := s.VirtualServer(i)
		fmt.Fprintf(&b, "\nvirtual_server %s %d {\n    lb_algo wrr\n    lb_kind DR\n    protocol TCP\n", v.Addr(), v.Port())
		for j := range s.PerService {
			d := Dest{i, j}
			r := s.RealServer(d)
			fmt.Fprintf(&b, "    real_server %s %d {\n        weight %d\n    }\n", r.Addr(), r.Port(), s.Weight(d))
		}
		b.WriteString("}\n")
	}
	return []byte(b.String())
}
