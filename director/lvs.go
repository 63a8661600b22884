package director

import (
	"fmt"
	"net/netip"

	"github.com/halvs/halvs/config"
	"github.com/halvs/halvs/lvs"
)

// LVSTable translates the config's virtual_server blocks into the lvs package's desired
// table: one service per virtual server (one per address and firewall mark of a
// virtual_server_group), every real server at its configured weight (the health checks
// adjust weights later, through the lvs.Reconciler), the sorry server kept aside for a lost
// quorum. keepalived's defaults are already applied by config. The error names the virtual
// server the kernel could not take as configured.
func LVSTable(cfg *config.Config) ([]lvs.VirtualServer, error) {
	keys, err := allServiceKeys(cfg)
	if err != nil {
		return nil, err
	}
	return lvsTable(cfg, keys)
}

// lvsTable is LVSTable given each virtual server's services (allServiceKeys).
func lvsTable(cfg *config.Config, keys [][]lvs.ServiceKey) ([]lvs.VirtualServer, error) {
	var table []lvs.VirtualServer
	for i := range cfg.VirtualServers {
		vs := &cfg.VirtualServers[i]
		for _, k := range keys[i] {
			entry, err := lvsEntry(vs, k)
			if err != nil {
				return nil, err
			}
			table = append(table, entry)
		}
	}
	if err := lvs.Validate(table); err != nil {
		return nil, err
	}
	return table, nil
}

// allServiceKeys lists the kernel services of every virtual_server block, in config order.
// A virtual_server_group range stands for up to 65,536 services: translate computes them
// once for both the health plan and the IPVS table.
func allServiceKeys(cfg *config.Config) ([][]lvs.ServiceKey, error) {
	out := make([][]lvs.ServiceKey, len(cfg.VirtualServers))
	for i := range cfg.VirtualServers {
		keys, err := serviceKeys(cfg, &cfg.VirtualServers[i])
		if err != nil {
			return nil, err
		}
		out[i] = keys
	}
	return out, nil
}

// serviceKeys lists the kernel services one virtual_server block stands for.
func serviceKeys(cfg *config.Config, vs *config.VirtualServer) ([]lvs.ServiceKey, error) {
	proto, err := lvsProtocol(vs.Protocol)
	if err != nil && vs.FWMark == 0 {
		return nil, fmt.Errorf("virtual_server %q: %w", vs.Name(), err)
	}
	switch {
	case vs.FWMark != 0:
		return []lvs.ServiceKey{lvs.FWMarkKey(vs.FWMark, lvsFamily(vs.Family))}, nil
	case vs.Group == "":
		return []lvs.ServiceKey{lvs.NewServiceKey(proto, vs.Addr)}, nil
	}
	g := cfg.Group(vs.Group)
	if g == nil {
		return nil, fmt.Errorf("virtual_server %q: no virtual_server_group %q", vs.Name(), vs.Group)
	}
	var keys []lvs.ServiceKey
	for _, r := range g.VIPs {
		if r.Last.Less(r.First) || r.First.Is4() != r.Last.Is4() {
			return nil, fmt.Errorf("virtual_server_group %q: bad range %s-%s", g.Name, r.First, r.Last)
		}
		for a := r.First; ; a = a.Next() {
			keys = append(keys, lvs.NewServiceKey(proto, netip.AddrPortFrom(a, r.Port)))
			if a == r.Last {
				break
			}
			if len(keys) > 65536 {
				return nil, fmt.Errorf("virtual_server_group %q: range %s-%s is too large", g.Name, r.First, r.Last)
			}
		}
	}
	for _, m := range g.FWMarks {
		keys = append(keys, lvs.FWMarkKey(m, lvsFamily(vs.Family)))
	}
	return keys, nil
}

func lvsEntry(vs *config.VirtualServer, k lvs.ServiceKey) (lvs.VirtualServer, error) {
	out := lvs.VirtualServer{Service: lvs.Service{
		Key:         k,
		Scheduler:   string(vs.Scheduler),
		OnePacket:   vs.OPS,
		Persistence: vs.PersistenceTimeout,
	}}
	if vs.PersistenceTimeout > 0 { // the kernel uses an engine only with persistence
		out.Service.PE = vs.PersistenceEngine
	}
	if vs.SchedFlags.Flag1 {
		out.Service.SchedFlags |= lvs.SchedFlag1
	}
	if vs.SchedFlags.Flag2 {
		out.Service.SchedFlags |= lvs.SchedFlag2
	}
	if vs.SchedFlags.Flag3 {
		out.Service.SchedFlags |= lvs.SchedFlag3
	}
	if vs.PersistenceTimeout > 0 {
		out.Service.Granularity = vs.PersistenceGranularity
	}
	for _, rs := range vs.RealServers {
		fwd, err := lvsForwarding(rs.Method)
		if err != nil {
			return out, fmt.Errorf("virtual_server %q real_server %s: %w", vs.Name(), rs.Addr, err)
		}
		if rs.UThreshold < 0 || rs.LThreshold < 0 {
			return out, fmt.Errorf("virtual_server %q real_server %s: negative connection threshold", vs.Name(), rs.Addr)
		}
		out.Destinations = append(out.Destinations, lvs.Destination{
			Addr:    rs.Addr,
			Forward: fwd,
			Weight:  rs.Weight,
			Upper:   uint32(rs.UThreshold),
			Lower:   uint32(rs.LThreshold),
			Tunnel:  lvsTunnel(rs.Method, rs.Tunnel),
		})
	}
	if vs.SorryServer.IsValid() {
		m, tun := vs.SorryServerMethod, vs.SorryServerTunnel
		if m == "" {
			m, tun = vs.Method, vs.Tunnel
		}
		fwd, err := lvsForwarding(m)
		if err != nil {
			return out, fmt.Errorf("virtual_server %q sorry_server: %w", vs.Name(), err)
		}
		// keepalived programs the sorry server with weight 1.
		out.Sorry = lvs.Destination{Addr: vs.SorryServer, Forward: fwd, Weight: 1, Tunnel: lvsTunnel(m, tun)}
	}
	if err := out.Validate(); err != nil {
		return out, fmt.Errorf("virtual_server %q: %w", vs.Name(), err)
	}
	return out, nil
}

func lvsProtocol(p config.Protocol) (lvs.Protocol, error) {
	switch p {
	case config.ProtocolTCP:
		return lvs.TCP, nil
	case config.ProtocolUDP:
		return lvs.UDP, nil
	case config.ProtocolSCTP:
		return lvs.SCTP, nil
	}
	return 0, fmt.Errorf("unknown protocol %q", p)
}

func lvsForwarding(m config.Method) (lvs.Forwarding, error) {
	switch m {
	case config.MethodDR:
		return lvs.DR, nil
	case config.MethodNAT:
		return lvs.NAT, nil
	case config.MethodTUN:
		return lvs.TUN, nil
	}
	return 0, fmt.Errorf("unknown lvs_method %q", m)
}

// lvsTunnel is a TUN server's encapsulation; other methods have none.
func lvsTunnel(m config.Method, t config.Tunnel) lvs.Tunnel {
	if m != config.MethodTUN {
		return lvs.Tunnel{}
	}
	out := lvs.Tunnel{Port: t.Port}
	switch t.Type {
	case config.TunnelGUE:
		out.Type = lvs.TunnelGUE
	case config.TunnelGRE:
		out.Type = lvs.TunnelGRE
	}
	switch t.Csum {
	case "csum":
		out.Csum = lvs.TunnelCsumOn
	case "remcsum":
		out.Csum = lvs.TunnelRemCsum
	}
	return out
}

func lvsFamily(f config.Family) lvs.Family {
	if f == config.IPv6 {
		return lvs.IPv6
	}
	return lvs.IPv4
}

// LVSTimeouts is the config's lvs_timeouts, and whether it has any.
func LVSTimeouts(cfg *config.Config) (lvs.Timeouts, bool) {
	t := cfg.Global.LVSTimeouts
	if t == nil {
		return lvs.Timeouts{}, false
	}
	return lvs.Timeouts{TCP: t.TCP, TCPFin: t.TCPFin, UDP: t.UDP}, true
}

// LVSSyncDaemon is the sync daemon the config asks for, in the given role (master where its
// vrrp_instance is MASTER, backup elsewhere), and whether it asks for one.
func LVSSyncDaemon(cfg *config.Config, role lvs.SyncRole) (lvs.SyncDaemon, bool) {
	sd := cfg.Global.LVSSyncDaemon
	if sd == nil {
		return lvs.SyncDaemon{}, false
	}
	// config has already defaulted the sync id to the instance's virtual_router_id.
	return lvs.SyncDaemon{Role: role, Interface: sd.Interface, SyncID: uint8(sd.SyncID)}, true
}
