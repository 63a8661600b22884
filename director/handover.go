package director

import (
	"net/netip"
	"time"

	"github.com/halvs/halvs/config"
	"github.com/halvs/halvs/vrrp"
	"golang.org/x/sys/unix"
)

// A VIP move leaves clients sending to the old master for a moment: the new master's
// gratuitous ARP reaches them only after the old master has seen the new one's advert and
// released the VIP. keepalived's old master then drops what still arrives (it no longer has
// the address and does not forward), so a SYN sent in that gap is lost for a second and a
// request sent there is reset by the new master when the client retransmits it. The old
// master still has the whole IPVS table and the connections it scheduled, so halvs lets it
// go on serving them (global lvs_handover_accept, on by default with lvs_sync_daemon):
// for as long as halvs runs, a policy rule sends the packets that arrive on the VIP's
// interface for a virtual server (the VIP, its protocol and port) to a table where the VIP
// is a local route. IPVS sees them in LOCAL_IN as it does on the master. The rule names the
// IP protocol, which an ARP request's route lookup never has, so the director does not
// answer ARP for the VIP it does not hold, and the client keeps the new master's address.
// On the master the VIP is in the local table, consulted first; the rule changes nothing.

const (
	// handoverTable is the routing table of the VIPs' local routes ("HV").
	handoverTable = 0x4856
	// handoverPriority is the rules' preference: after the local table (0), before main.
	handoverPriority = 32000
)

// handoverAccept is whether cfg asks for lvs_handover_accept.
func handoverAccept(cfg *config.Config) bool {
	g := cfg.Global
	if g.HasLVSHandoverAccept {
		return g.LVSHandoverAccept
	}
	return g.LVSSyncDaemon != nil
}

// handoverPlan is the rules and routes of lvs_handover_accept: for each VRRP instance's
// address that is a virtual server's, a local route to it in handoverTable and one rule per
// DR or TUN virtual server on it, matched by protocol and port and by the VIP's interface.
func handoverPlan(cfg *config.Config) ([]vrrp.Route, []vrrp.Rule) {
	if !handoverAccept(cfg) {
		return nil, nil
	}
	devs := map[netip.Addr]string{}
	for _, vi := range cfg.VRRPInstances {
		for _, vs := range [][]config.VIP{vi.VirtualIPAddresses, vi.VirtualIPAddressesExcl} {
			for _, v := range vs {
				if _, ok := devs[v.Prefix.Addr()]; !ok {
					devs[v.Prefix.Addr()] = vipOf(v, vi.Interface).Dev
				}
			}
		}
	}
	var routes []vrrp.Route
	var rules []vrrp.Rule
	routed := map[netip.Addr]bool{}
	for _, vs := range cfg.VirtualServers {
		addr := vs.Addr.Addr()
		dev, ok := devs[addr]
		proto := ipProto(vs.Protocol)
		// With NAT the real servers answer through the VIP's owner, which would not know
		// a connection this director scheduled.
		if !ok || vs.FWMark != 0 || proto == 0 || vs.Method == config.MethodNAT {
			continue
		}
		host := netip.PrefixFrom(addr, addr.BitLen())
		if !routed[addr] {
			routed[addr] = true
			routes = append(routes, vrrp.Route{Dst: host, Type: unix.RTN_LOCAL, Table: handoverTable,
				Dev: "lo", Scope: unix.RT_SCOPE_HOST})
		}
		r := vrrp.Rule{Priority: handoverPriority, IPv6: addr.Is6(), To: host, Action: unix.FR_ACT_TO_TBL,
			Table: handoverTable, Iif: dev, IPProto: proto}
		if p := vs.Addr.Port(); p != 0 {
			r.Dport = [2]uint16{p, p}
		}
		if !containsString(rules, r) {
			rules = append(rules, r)
		}
	}
	return routes, rules
}

func ipProto(p config.Protocol) uint8 {
	switch p {
	case config.ProtocolTCP:
		return unix.IPPROTO_TCP
	case config.ProtocolUDP:
		return unix.IPPROTO_UDP
	case config.ProtocolSCTP:
		return unix.IPPROTO_SCTP
	}
	return 0
}

// maxHandoverDrain bounds the wait of handoverDrain, whatever the advert intervals.
const maxHandoverDrain = 3 * time.Second

// handoverDrain is how long a stopping director goes on serving after its instances sent
// priority 0 and released the VIPs, with lvs_handover_accept: the backup takes over within
// its Skew_Time (at most one advert interval) and announces the VIP at once, so two advert
// intervals of the longest instance that was MASTER cover the clients still sending to
// this director meanwhile. Without that wait its IPVS services and rules went with the
// VIPs, and what reached it before the new master's GARP was lost.
func (d *Director) handoverDrain(p plan) time.Duration {
	if len(p.vrrp.Static.Rules) == 0 || !handoverAccept(d.cfg) {
		return 0
	}
	var wait time.Duration
	for _, ic := range p.vrrp.Instances {
		if d.inst.state(ic.Name) == vrrp.StateMaster {
			wait = max(wait, 2*ic.Interval)
		}
	}
	return min(wait, maxHandoverDrain)
}
