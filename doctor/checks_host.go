package doctor

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"
)

// The checks of this host's own setup that the config depends on: the interfaces it names,
// the director's own address, forwarding for NAT, and tunl0 for TUN real servers.

// checkInterfaces: every interface an instance names (interface, a VIP's dev,
// track_interface) must exist: `halvs run` exits on a missing one.
func checkInterfaces(links []Link, o Options, r *Report) {
	have := map[string]bool{}
	for _, l := range links {
		have[l.Name] = true
	}
	missing := false
	for _, in := range o.Instances {
		names := []string{in.Interface}
		for _, v := range in.VIPs {
			names = append(names, in.devOf(v))
		}
		names = append(names, in.Track...)
		var seen []string
		for _, n := range names {
			if n == "" || have[n] || slices.Contains(seen, n) {
				continue
			}
			seen = append(seen, n)
			missing = true
			r.fail("interface", fmt.Sprintf("name an interface of this host in %s (ip -br link lists them), or create %s", in.Name, n),
				"%s names interface %s, which this host does not have: halvs run refuses to start", in.Name, n)
		}
	}
	if !missing && len(o.Instances) > 0 {
		r.pass("the interfaces the instances name exist")
	}
}

// checkPrimary: a VIP must not be the director's primary address on the instance's
// interface (its first address of that family; IPv6 link-local apart). The director then
// has no address of its own there: its adverts go out from the VIP, and an address
// configured statically is never released, so a BACKUP director keeps answering for it.
func checkPrimary(addrs []IfAddr, o Options, r *Report) {
	bad := false
	for _, in := range o.Instances {
		for _, v := range in.VIPs {
			if in.devOf(v) != in.Interface {
				continue
			}
			p, ok := primaryOf(addrs, in.Interface, v.Is4())
			if !ok || p.Addr() != v {
				continue
			}
			bad = true
			r.fail("primary", fmt.Sprintf("give %s an address of this director first (in the network configuration), and keep %s only in %s's virtual_ipaddress", in.Interface, v, in.Name),
				"VIP %s is the primary address of %s (%s): the director has no address of its own there, so its VRRP adverts come from the VIP, and a VIP configured on the host stays when this director is BACKUP",
				v, in.Interface, p)
		}
	}
	if !bad && len(o.Instances) > 0 {
		r.pass("no VIP is a director's primary address")
	}
}

// primaryOf is iface's first address of the family, as the kernel lists them.
func primaryOf(addrs []IfAddr, iface string, v4 bool) (netip.Prefix, bool) {
	for _, a := range addrs {
		ip := a.Prefix.Addr()
		if a.Interface == iface && ip.Is4() == v4 && !ip.IsLinkLocalUnicast() {
			return a.Prefix, true
		}
	}
	return netip.Prefix{}, false
}

// checkForwarding: with lb_kind NAT the real servers' replies come back through the
// director, which routes them to the client after rewriting their source: without
// forwarding the kernel drops them.
func checkForwarding(sys System, o Options, r *Report) {
	for _, f := range []struct {
		on       bool
		key, fam string
	}{{o.NAT, "net.ipv4.ip_forward", "IPv4"}, {o.NAT6, "net.ipv6.conf.all.forwarding", "IPv6"}} {
		if !f.on {
			continue
		}
		v, err := sysctlInt(sys, f.key)
		switch {
		case err != nil:
			r.skip("%s: %v", f.key, err)
		case v != 1:
			r.fail("ip_forward", fmt.Sprintf("sysctl -w %s=1   # and persist it in /etc/sysctl.d/", f.key),
				"%s is %d, but an %s virtual server uses lb_kind NAT: the real servers' replies, routed through this director, are dropped", f.key, v, f.fam)
		default:
			r.pass("%s = 1 for lb_kind NAT", f.key)
		}
	}
}

// tunDev is the IPv4 IP-in-IP device: the ipip module's fallback tunnel, which receives the
// director's encapsulated packets in lb_kind TUN.
const tunDev = "tunl0"

// vipHolders are the interfaces a real server may hold a VIP on without answering ARP for
// it: lo, and for TUN tunl0 (which has no ARP).
func vipHolders(tun bool) []string {
	if tun {
		return []string{"lo", tunDev}
	}
	return []string{"lo"}
}

// hostVIPs are the VIPs a real server holds: the host addresses (/32, /128) on lo (and
// tunl0 for TUN) other than loopback ones.
func hostVIPs(addrs []IfAddr, tun bool) []netip.Addr {
	var out []netip.Addr
	for _, a := range addrs {
		ip := a.Prefix.Addr()
		if slices.Contains(vipHolders(tun), a.Interface) && a.Prefix.Bits() == ip.BitLen() &&
			!ip.IsLoopback() && !slices.Contains(out, ip) {
			out = append(out, ip)
		}
	}
	return out
}

// checkTunl0: a TUN real server decapsulates the director's packets on tunl0, which must
// exist (the ipip module) and be up; its rp_filter must not be strict, since the inner
// packets' client source is routed out another interface.
func checkTunl0(sys System, vips []netip.Addr, r *Report) {
	fix := "halvs realserver up --tun"
	for _, v := range vips {
		fix += " --vip " + v.String()
	}
	links, err := sys.Links()
	if err != nil {
		r.skip("%s: %v", tunDev, err)
		return
	}
	i := slices.IndexFunc(links, func(l Link) bool { return l.Name == tunDev })
	switch {
	case i < 0:
		r.fail(tunDev, fix, "lb_kind TUN, but this host has no %s (the ipip module is not loaded): the director's IP-in-IP packets are dropped", tunDev)
		return
	case !links[i].Up:
		r.fail(tunDev, fix, "lb_kind TUN, but %s is down: the director's IP-in-IP packets are dropped", tunDev)
		return
	}
	all, errAll := sysctlInt(sys, "net.ipv4.conf.all.rp_filter")
	dev, errDev := sysctlInt(sys, "net.ipv4.conf."+tunDev+".rp_filter")
	if errAll != nil || errDev != nil {
		r.skip("%s rp_filter: %v", tunDev, cmpErr(errAll, errDev))
		return
	}
	if max(all, dev) == 1 {
		r.fail(tunDev, fix, "strict reverse-path filtering on %s (all=%d, %s=%d): the decapsulated packets come from clients this host routes out another interface, so they are dropped",
			tunDev, all, tunDev, dev)
		return
	}
	r.pass("%s is up and its rp_filter is not strict", tunDev)
}

func cmpErr(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// joinAddrs lists addresses for a message.
func joinAddrs(as []netip.Addr) string {
	s := make([]string, len(as))
	for i, a := range as {
		s[i] = a.String()
	}
	return strings.Join(s, ", ")
}
