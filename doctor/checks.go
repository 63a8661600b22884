package doctor

import (
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"
)

func checkDirector(sys System, o Options, r *Report) {
	if o.HasVirtualServers {
		switch ok, err := sys.ModuleLoaded("ip_vs"); {
		case err != nil:
			r.skip("ip_vs: %v", err)
		case !ok:
			r.fail("ip_vs", "modprobe ip_vs && echo ip_vs > /etc/modules-load.d/ip_vs.conf",
				"the ip_vs kernel module is not loaded: halvs cannot program the virtual servers")
		default:
			r.pass("ip_vs kernel module loaded")
		}
	}
	if links, err := sys.Links(); err != nil {
		r.skip("interfaces: %v", err)
	} else {
		checkInterfaces(links, o, r)
	}
	checkForwarding(sys, o, r)
	addrs, err := sys.Addrs()
	if err != nil {
		r.skip("addresses: %v", err)
	} else {
		checkPrimary(addrs, o, r)
	}
	for _, in := range o.Instances {
		for _, v := range in.VIPs {
			on, dev := ifacesWith(addrs, v), in.devOf(v)
			switch {
			case in.State == "":
				r.skip("VIP %s of %s: halvs is not running here, so its state is unknown", v, in.Name)
			case in.State == "MASTER" && !slices.Contains(on, dev):
				r.fail("vip", fmt.Sprintf("ip addr add %s dev %s   # halvs re-adds it by itself; if not: systemctl restart halvs", hostPrefix(v), dev),
					"%s is MASTER but VIP %s is not on %s: clients cannot reach the service", in.Name, v, dev)
			case in.State != "MASTER" && len(on) > 0:
				r.fail("vip", fmt.Sprintf("ip addr del %s dev %s", hostPrefix(v), on[0]),
					"%s is %s but VIP %s is on %s: two hosts answer for it (stale VIP, or a second VRRP daemon)", in.Name, in.State, v, strings.Join(on, ", "))
			default:
				r.pass("VIP %s where %s (%s) wants it", v, in.Name, in.State)
			}
		}
	}
	ifaces := []string{}
	for _, in := range o.Instances {
		if !slices.Contains(ifaces, in.Interface) {
			ifaces = append(ifaces, in.Interface)
		}
	}
	checkFirewall(sys, r, ifaces, o.Services, true)
	if o.ListenFor > 0 && len(ifaces) > 0 {
		adverts, err := sys.ListenAdverts(ifaces, o.ListenFor)
		if err != nil {
			r.skip("duplicate VRIDs: %v", err)
		} else {
			checkVRIDs(o.Instances, addrs, adverts, o.ListenFor, r)
		}
	}
}

// checkVRIDs reports a router of another VRRP group using one of our VRIDs on our segment:
// each side drops or misreads the other's adverts and both may become MASTER.
func checkVRIDs(ins []Instance, addrs []IfAddr, adverts []Advert, d fmt.Stringer, r *Report) {
	type key struct {
		iface string
		src   netip.Addr
		vrid  int
	}
	seen := map[key]bool{}
	found := false
	for _, a := range adverts {
		if len(ifacesWith(addrs, a.Src)) > 0 {
			continue // our own advert, looped back
		}
		k := key{a.Interface, a.Src, a.VRID}
		if seen[k] {
			continue
		}
		seen[k] = true
		for _, in := range ins {
			if in.Interface != a.Interface || in.VRID != a.VRID || sameAddrs(in.VIPs, a.VIPs) {
				continue
			}
			found = true
			r.fail("vrid", fmt.Sprintf("give %s a virtual_router_id no other router on %s uses (seen here: %s), on both directors", in.Name, a.Interface, usedVRIDs(adverts, a.Interface)),
				"router %s advertises VRID %d on %s with VIPs %v, but %s uses VRID %d for %v: two VRRP groups share a VRID on one segment",
				a.Src, a.VRID, a.Interface, a.VIPs, in.Name, in.VRID, in.VIPs)
		}
	}
	if !found {
		r.pass("no other VRRP group uses our VRIDs (listened %s)", d)
	}
}

func usedVRIDs(adverts []Advert, iface string) string {
	var ids []int
	for _, a := range adverts {
		if a.Interface == iface && !slices.Contains(ids, a.VRID) {
			ids = append(ids, a.VRID)
		}
	}
	slices.Sort(ids)
	var s []string
	for _, id := range ids {
		s = append(s, strconv.Itoa(id))
	}
	return strings.Join(s, ", ")
}

func sameAddrs(a, b []netip.Addr) bool {
	x, y := slices.Clone(a), slices.Clone(b)
	slices.SortFunc(x, netip.Addr.Compare)
	slices.SortFunc(y, netip.Addr.Compare)
	return slices.Equal(x, y)
}

func checkRealServer(sys System, o Options, r *Report) {
	vips := o.VIPs
	if len(vips) == 0 {
		for _, s := range o.Services {
			if !slices.Contains(vips, s.VIP) {
				vips = append(vips, s.VIP)
			}
		}
	}
	addrs, err := sys.Addrs()
	if err != nil {
		r.skip("addresses: %v", err)
		return
	}
	holders := vipHolders(o.TUN)
	up := "halvs realserver up"
	if o.TUN {
		up += " --tun"
	}
	if len(vips) == 0 {
		// The VIPs this host already holds are the ones it serves.
		vips = hostVIPs(addrs, o.TUN)
		if len(vips) == 0 {
			r.fail("vip", up+" --vip ADDR   # ADDR: each virtual server's address",
				"no VIP given (--vip ADDR, or -c FILE with virtual servers) and none on %s (an ADDR/32 or /128): the packets the director forwards to this real server are dropped",
				strings.Join(holders, " or "))
			return
		}
		r.pass("VIPs found on %s: %s", strings.Join(holders, ", "), joinAddrs(vips))
	}
	var nics []string // interfaces other than lo that have an address: where DR traffic arrives
	for _, a := range addrs {
		if !slices.Contains(holders, a.Interface) && !slices.Contains(nics, a.Interface) && !a.Prefix.Addr().IsLinkLocalUnicast() {
			nics = append(nics, a.Interface)
		}
	}
	upArgs := ""
	if o.TUN {
		upArgs = " --tun"
	}
	for _, v := range vips {
		upArgs += " --vip " + v.String()
	}
	for _, v := range vips {
		on := ifacesWith(addrs, v)
		var wrong []string
		for _, i := range on {
			if !slices.Contains(holders, i) {
				wrong = append(wrong, i)
			}
		}
		switch {
		case len(wrong) > 0:
			r.fail("vip", fmt.Sprintf("ip addr del %s dev %s && halvs realserver up%s", addrOn(addrs, v, wrong[0]), wrong[0], upArgs),
				"VIP %s is on %s, not only on lo: this real server answers ARP for the VIP and steals it from the director", v, strings.Join(wrong, ", "))
		case len(on) == 0:
			r.fail("vip", "halvs realserver up"+upArgs,
				"VIP %s is not on %s: the kernel drops the packets the director forwards (their destination is the VIP)", v, strings.Join(holders, " or "))
		default:
			r.pass("VIP %s on %s", v, strings.Join(on, ", "))
		}
	}
	sysctlAtLeast(sys, r, "arp_ignore", 1, nics, "halvs realserver up"+upArgs+"   # or: sysctl -w net.ipv4.conf.all.arp_ignore=1 net.ipv4.conf.lo.arp_ignore=1",
		"this host answers ARP requests for the VIP it holds on lo, so the LAN may send client traffic here instead of to the director")
	sysctlAtLeast(sys, r, "arp_announce", 2, nics, "halvs realserver up"+upArgs+"   # or: sysctl -w net.ipv4.conf.all.arp_announce=2 net.ipv4.conf.lo.arp_announce=2",
		"this host may use the VIP as the source of its ARP requests, teaching neighbours that the VIP is here")
	checkRPFilter(sys, r, nics, o.TUN)
	if o.TUN {
		checkTunl0(sys, vips, r)
	}
	checkListeners(sys, r, o.Services, vips, addrs)
	checkFirewall(sys, r, nics, o.Services, false)
}

// sysctlAtLeast checks net.ipv4.conf.{all,IF}.name: the kernel uses the larger of the two.
func sysctlAtLeast(sys System, r *Report, name string, want int, nics []string, fix, why string) {
	all, err := sysctlInt(sys, "net.ipv4.conf.all."+name)
	if err != nil {
		r.skip("%s: %v", name, err)
		return
	}
	var low []string
	for _, n := range nics {
		v, err := sysctlInt(sys, "net.ipv4.conf."+n+"."+name)
		if err != nil {
			r.skip("%s on %s: %v", name, n, err)
			continue
		}
		if max(all, v) < want {
			low = append(low, fmt.Sprintf("%s=%d", n, v))
		}
	}
	if len(low) > 0 || len(nics) == 0 && all < want {
		per := ""
		if len(low) > 0 {
			per = " (" + strings.Join(low, ", ") + ")"
		}
		r.fail(name, fix, "net.ipv4.conf.all.%s is %d%s, want %d: %s", name, all, per, want, why)
		return
	}
	r.pass("%s >= %d", name, want)
}

// checkRPFilter: with strict reverse-path filtering (1) a real server drops DR packets whose
// client source it would route out another interface (multi-homed real servers), and the
// decapsulated packets of TUN mode. On a single-homed host without TUN every route leads out
// the one NIC, so strict mode is only a warning there. The effective value is the larger of
// all and the interface's, so loose mode (2) on "all" relaxes every interface.
func checkRPFilter(sys System, r *Report, nics []string, tun bool) {
	all, err := sysctlInt(sys, "net.ipv4.conf.all.rp_filter")
	if err != nil {
		r.skip("rp_filter: %v", err)
		return
	}
	var strict []string
	for _, n := range nics {
		v, err := sysctlInt(sys, "net.ipv4.conf."+n+".rp_filter")
		if err != nil {
			continue
		}
		if max(all, v) == 1 {
			strict = append(strict, n)
		}
	}
	const fix = "sysctl -w net.ipv4.conf.all.rp_filter=2   # loose; persist it in /etc/sysctl.d/"
	switch {
	case len(strict) == 0:
		r.pass("rp_filter is not strict")
	case tun:
		r.fail("rp_filter", fix, "strict reverse-path filtering (rp_filter=1) on %s drops the packets TUN mode decapsulates", strings.Join(strict, ", "))
	case len(nics) > 1:
		r.fail("rp_filter", fix, "strict reverse-path filtering (rp_filter=1) on %s drops DR traffic that arrives on an interface other than the one this host would reply through (this host has %s)",
			strings.Join(strict, ", "), strings.Join(nics, ", "))
	default:
		r.warn("rp_filter", fix, "strict reverse-path filtering (rp_filter=1) on %s: harmless while it is this host's only interface, but DR traffic arriving on a second interface (or through a TUN tunnel) would be dropped",
			strings.Join(strict, ", "))
	}
}

// checkListeners: the service must accept connections to the VIP: a socket bound to the VIP
// or to the wildcard address. One bound only to the NIC's address gets the DR packets (whose
// destination is the VIP) answered with RST.
func checkListeners(sys System, r *Report, svcs []Service, vips []netip.Addr, addrs []IfAddr) {
	if len(svcs) == 0 {
		r.skip("listeners: no service port given (--port N, or -c FILE with virtual servers)")
		return
	}
	ls, err := sys.Listeners()
	if err != nil {
		r.skip("listeners: %v", err)
		return
	}
	for _, s := range svcs {
		if s.Protocol != "" && s.Protocol != "TCP" {
			r.skip("listener for %s port %d: only TCP listeners are checked", s.Protocol, s.Port)
			continue
		}
		var good bool
		var only []string
		for _, l := range ls {
			if l.Addr.Port() != s.Port {
				continue
			}
			a := l.Addr.Addr()
			if a.IsUnspecified() && (a.Is4() == s.VIP.Is4() || a.Is6()) || a == s.VIP {
				good = true
			} else if !slices.Contains(only, a.String()) {
				only = append(only, a.String())
			}
		}
		switch {
		case good:
			r.pass("a service listens on %s port %d", s.VIP, s.Port)
		case len(only) > 0:
			r.fail("listener", fmt.Sprintf("make the service listen on %s or on all addresses (0.0.0.0:%d / [::]:%d), e.g. nginx \"listen %d;\", then restart it", netip.AddrPortFrom(s.VIP, s.Port), s.Port, s.Port, s.Port),
				"the service on port %d listens only on %s, not on the VIP %s: connections the director forwards are refused", s.Port, strings.Join(only, ", "), s.VIP)
		default:
			r.fail("listener", fmt.Sprintf("start the service on port %d (listening on %s or all addresses)", s.Port, s.VIP),
				"nothing listens on TCP port %d: the director's health check marks this real server down", s.Port)
		}
	}
}

func sysctlInt(sys System, key string) (int, error) {
	s, err := sys.Sysctl(key)
	if err != nil {
		return 0, err
	}
	return strconv.Atoi(s)
}

func ifacesWith(addrs []IfAddr, a netip.Addr) []string {
	var out []string
	for _, x := range addrs {
		if x.Prefix.Addr() == a && !slices.Contains(out, x.Interface) {
			out = append(out, x.Interface)
		}
	}
	return out
}

// addrOn is the address as configured on iface (with its prefix length), for `ip addr del`.
func addrOn(addrs []IfAddr, a netip.Addr, iface string) netip.Prefix {
	for _, x := range addrs {
		if x.Prefix.Addr() == a && x.Interface == iface {
			return x.Prefix
		}
	}
	return hostPrefix(a)
}

func hostPrefix(a netip.Addr) netip.Prefix { return netip.PrefixFrom(a, a.BitLen()) }
