package config

import (
	"fmt"
	"net/netip"
)

// validate runs the checks that span blocks: names that refer to other blocks, duplicates,
// address families. Checks that concern one block are made while decoding it.
func validate(d *decoder, cfg *Config) {
	validateInstances(d, cfg)
	validateVMACs(d, cfg) // vrrp_vmac.go
	validateSyncGroups(d, cfg)
	validateGroupTracking(d, cfg)
	validateInterfaceDelays(d, cfg)
	validateVirtualServers(d, cfg)
	checkScriptSecurity(d, cfg)
	validateBGP(d, cfg) // bgp.go
	if sd := cfg.Global.LVSSyncDaemon; sd != nil && sd.Instance != "" {
		vi := cfg.Instance(sd.Instance)
		if vi == nil {
			d.errorf(sd.Source.Of("instance"), "lvs_sync_daemon instance %q names no vrrp_instance%s", sd.Instance, suggest(sd.Instance, instanceNames(cfg), nil))
		} else if !sd.Source.has("sync_id") {
			sd.SyncID = vi.VirtualRouterID // keepalived's default
		}
	}
}

func (s Source) has(key string) bool { _, ok := s.Attrs[key]; return ok }

// Instance returns the vrrp_instance with the name, or nil.
func (c *Config) Instance(name string) *VRRPInstance {
	for i := range c.VRRPInstances {
		if c.VRRPInstances[i].Name == name {
			return &c.VRRPInstances[i]
		}
	}
	return nil
}

// Script returns the vrrp_script with the name, or nil.
func (c *Config) Script(name string) *VRRPScript {
	for i := range c.VRRPScripts {
		if c.VRRPScripts[i].Name == name {
			return &c.VRRPScripts[i]
		}
	}
	return nil
}

// VirtualServer returns the virtual server with the canonical name (VirtualServer.Name) and
// protocol, or nil. An empty protocol matches any.
func (c *Config) VirtualServer(name string, p Protocol) *VirtualServer {
	for i := range c.VirtualServers {
		vs := &c.VirtualServers[i]
		if vs.Name() == name && (p == "" || vs.Protocol == p) {
			return vs
		}
	}
	return nil
}

// Group returns the virtual_server_group with the name, or nil.
func (c *Config) Group(name string) *VirtualServerGroup {
	for i := range c.VirtualServerGroups {
		if c.VirtualServerGroups[i].Name == name {
			return &c.VirtualServerGroups[i]
		}
	}
	return nil
}

func instanceNames(cfg *Config) []string {
	var out []string
	for _, vi := range cfg.VRRPInstances {
		out = append(out, vi.Name)
	}
	return out
}

func validateInstances(d *decoder, cfg *Config) {
	var scripts []string
	for _, s := range cfg.VRRPScripts {
		scripts = append(scripts, s.Name)
	}
	type routerKey struct {
		ifname string
		vrid   int
		family Family
	}
	routers := map[routerKey]*VRRPInstance{}
	vips := map[netip.Addr]*VRRPInstance{}
	for i := range cfg.VRRPInstances {
		vi := &cfg.VRRPInstances[i]
		for _, ts := range vi.TrackScripts {
			if cfg.Script(ts.Name) == nil {
				d.errorf(ts.Source.Range, "track_script %q names no vrrp_script%s", ts.Name, suggest(ts.Name, scripts, nil))
			}
		}
		for _, tv := range vi.TrackVirtualServers {
			if cfg.VirtualServer(tv.VirtualServer, "") == nil {
				d.errorf(tv.Source.Range, "track_virtual_server %q names no virtual_server", tv.VirtualServer)
			}
		}
		validateUnicast(d, vi)
		k := routerKey{vi.Interface, vi.VirtualRouterID, vi.Family}
		if other, dup := routers[k]; dup && vi.VirtualRouterID != 0 && !disjointUnicast(vi, other) {
			d.errorf(vi.Source.Of("virtual_router_id"), "vrrp_instance %q and %q (%s) both use virtual_router_id %d for %s on %s; each virtual router needs its own ID on an interface",
				vi.Name, other.Name, short(other.Source.Range), vi.VirtualRouterID, vi.Family, vi.Interface)
		} else {
			routers[k] = vi
		}
		for _, list := range [][]VIP{vi.VirtualIPAddresses, vi.VirtualIPAddressesExcl} {
			for _, v := range list {
				if other, dup := vips[v.Addr()]; dup {
					where := fmt.Sprintf("of vrrp_instance %q", other.Name)
					if other == vi {
						where = "of this instance"
					}
					d.errorf(v.Source.Range, "VIP %s is already a VIP %s; each address belongs to one instance, once", v.Addr(), where)
					continue
				}
				vips[v.Addr()] = vi
			}
		}
	}
}

func validateUnicast(d *decoder, vi *VRRPInstance) {
	src := "unicast_src_ip"
	if _, mcast := vi.Source.Attrs["mcast_src_ip"]; mcast {
		src = "mcast_src_ip" // keepalived's other name for it
	}
	if vi.UnicastSrcIP.IsValid() && familyOf(vi.UnicastSrcIP) != vi.Family {
		d.errorf(vi.Source.Of(src), "%s %s is %s but the instance is %s", src, vi.UnicastSrcIP, familyOf(vi.UnicastSrcIP), vi.Family)
	}
	if _, set := vi.Source.Attrs["unicast_src_ip"]; set && len(vi.UnicastPeers) == 0 {
		d.warnf(vi.Source.Of("unicast_src_ip"), "unicast_src_ip without unicast_peer: adverts go to the multicast group from this source")
	}
	seen := map[netip.Addr]bool{}
	for i, p := range vi.UnicastPeers {
		r := vi.Source.Entry("unicast_peer", i)
		switch {
		case familyOf(p) != vi.Family:
			d.errorf(r, "unicast_peer %s is %s but the instance is %s", p, familyOf(p), vi.Family)
		case p == vi.UnicastSrcIP:
			d.errorf(r, "unicast_peer %s is this director's own unicast_src_ip; list the other directors", p)
		case seen[p]:
			d.errorf(r, "unicast_peer %s is listed twice", p)
		}
		seen[p] = true
	}
}

// disjointUnicast: keepalived allows one VRID twice on an interface when both instances
// are unicast and their peers do not overlap.
func disjointUnicast(a, b *VRRPInstance) bool {
	if len(a.UnicastPeers) == 0 || len(b.UnicastPeers) == 0 {
		return false
	}
	for _, p := range a.UnicastPeers {
		for _, q := range b.UnicastPeers {
			if p == q {
				return false
			}
		}
	}
	return true
}

func validateSyncGroups(d *decoder, cfg *Config) {
	member := map[string]string{} // instance → its group
	for _, sg := range cfg.VRRPSyncGroups {
		for i, name := range sg.Group {
			r := sg.Source.Entry("group", i)
			if cfg.Instance(name) == nil {
				d.errorf(r, "vrrp_sync_group %q: %q names no vrrp_instance%s", sg.Name, name, suggest(name, instanceNames(cfg), nil))
				continue
			}
			if g, dup := member[name]; dup {
				if g == sg.Name {
					d.errorf(r, "vrrp_sync_group %q lists %q twice", sg.Name, name)
				} else {
					d.errorf(r, "vrrp_instance %q is already in vrrp_sync_group %q; an instance belongs to one group", name, g)
				}
				continue
			}
			member[name] = sg.Name
		}
		if len(sg.Group) == 1 {
			d.warnf(sg.Source.Of("group"), "vrrp_sync_group %q has only one instance; a sync group keeps several instances together", sg.Name)
		}
	}
}

func validateVirtualServers(d *decoder, cfg *Config) {
	var trackFiles []string
	for _, tf := range cfg.TrackFiles {
		trackFiles = append(trackFiles, tf.Name)
	}
	type vsKey struct {
		name  string
		proto Protocol
	}
	seen := map[vsKey]*VirtualServer{}
	for i := range cfg.VirtualServers {
		vs := &cfg.VirtualServers[i]
		k := vsKey{vs.Name(), vs.Protocol}
		if vs.FWMark != 0 {
			k.proto = "" // a firewall-mark service has no protocol
		}
		if other, dup := seen[k]; dup {
			d.errorf(vs.Source.Range, "virtual_server %q (%s) is defined twice (first at %s)", vs.Name(), vs.Protocol, short(other.Source.Range))
		}
		seen[k] = vs
		if vs.Group != "" {
			g := cfg.Group(vs.Group)
			if g == nil {
				d.errorf(vs.Source.Range, "virtual_server %q names no virtual_server_group", vs.Name())
			} else if f, ok := groupFamily(d, g); ok {
				if f == IPv6 && vs.Family != IPv6 && vs.PersistenceGranularity == 32 {
					// the default was taken before the group's addresses gave the family
					vs.PersistenceGranularity = 128
				}
				vs.Family = f
			} // fwmarks only: ip_family or the real servers' family, as for a fwmark service
		}
		validateRealServers(d, vs, trackFiles)
	}
}

// groupFamily is the family of a group's addresses; false when it has only fwmarks.
func groupFamily(d *decoder, g *VirtualServerGroup) (Family, bool) {
	f := FamilyUnspec
	for _, r := range g.VIPs {
		if rf := familyOf(r.First); f == FamilyUnspec {
			f = rf
		} else if rf != f {
			d.errorf(r.Source.Range, "virtual_server_group %q mixes IPv4 and IPv6 addresses; use one group per family", g.Name)
		}
	}
	return f, f != FamilyUnspec
}

func validateRealServers(d *decoder, vs *VirtualServer, trackFiles []string) {
	seen := map[netip.AddrPort]bool{}
	for _, rs := range vs.RealServers {
		rf := familyOf(rs.Addr.Addr())
		if rf != vs.Family && rs.Method != MethodTUN {
			d.errorf(rs.Source.Range, "real_server %s is %s but virtual_server %q is %s; only TUN forwarding may cross families",
				rs.Addr, rf, vs.Name(), vs.Family)
		}
		if seen[rs.Addr] {
			d.errorf(rs.Source.Range, "real_server %s is listed twice in virtual_server %q", rs.Addr, vs.Name())
		}
		seen[rs.Addr] = true
		if rs.Method != MethodNAT && vs.Addr.Port() != 0 && rs.Addr.Port() != vs.Addr.Port() {
			d.warnf(rs.Source.Range, "real_server %s: %s forwarding cannot change the port; packets reach port %d (use NAT to map ports)",
				rs.Addr, rs.Method, vs.Addr.Port())
		}
		for _, c := range rs.Checkers {
			if c.File != nil && c.File.TrackFile != "" && !contains(trackFiles, c.File.TrackFile) {
				d.errorf(c.Source.Of("track_file"), "file_check track_file %q names no track_file block%s", c.File.TrackFile, suggest(c.File.TrackFile, trackFiles, nil))
			}
		}
	}
	if vs.SorryServer.IsValid() && familyOf(vs.SorryServer.Addr()) != vs.Family && vs.SorryServerMethod != MethodTUN {
		d.errorf(vs.Source.Of("sorry_server"), "sorry_server %s is %s but virtual_server %q is %s", vs.SorryServer, familyOf(vs.SorryServer.Addr()), vs.Name(), vs.Family)
	}
}
