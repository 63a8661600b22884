package director

import (
	"net/netip"
	"slices"
	"sort"

	"github.com/halvs/halvs/config"
	"github.com/halvs/halvs/control"
	"github.com/halvs/halvs/healthcheck"
	"github.com/halvs/halvs/lvs"
)

// ipvsStatus fills st's virtual servers and sync daemon: each virtual_server's health and
// what the director asked of IPVS, with the protocol, scheduler and method from the config
// and the kernel's counters summed over the services the block programs.
func (d *Director) ipvsStatus(st *control.Status, cfg *config.Config, p plan) {
	var dests map[destRef]destState
	var role lvs.SyncRole
	var stats []lvs.ServiceStats
	if s := d.ipvs.Load(); s != nil {
		dests, role = s.snapshot()
		var err error
		if stats, err = d.IPVSStats(); err != nil { // observe.go
			d.log.Debug("IPVS counters unreadable; status shows none", "err", err)
		}
	}
	byKey := map[lvs.ServiceKey]lvs.ServiceStats{}
	for _, s := range stats {
		byKey[s.Key] = s
	}
	vsCfg := map[string]*config.VirtualServer{}
	for i := range cfg.VirtualServers {
		vsCfg[healthName(&cfg.VirtualServers[i])] = &cfg.VirtualServers[i]
	}
	byName := map[string]HealthPlan{}
	for _, h := range p.health {
		byName[h.VS.Name] = h
	}
	health := d.health.Status()
	sort.Slice(health, func(i, j int) bool { return health[i].VirtualServer < health[j].VirtualServer })
	for _, hs := range health {
		hp := byName[hs.VirtualServer]
		var kernel []lvs.ServiceStats
		for _, k := range hp.Services {
			if s, ok := byKey[k]; ok {
				kernel = append(kernel, s)
			}
		}
		st.VirtualServers = append(st.VirtualServers, virtualServerStatus(hs, vsCfg[hs.VirtualServer], hp.Weights, dests, kernel))
	}
	st.SyncDaemon = syncDaemonStatus(cfg, role)
}

// syncDaemonStatus is the lvs_sync_daemon block with the running daemon's role (0: none);
// nil without the block. Its sync_id defaults to the instance's virtual_router_id.
func syncDaemonStatus(cfg *config.Config, role lvs.SyncRole) *control.SyncDaemon {
	sd := cfg.Global.LVSSyncDaemon
	if sd == nil {
		return nil
	}
	out := &control.SyncDaemon{Role: "none", Interface: sd.Interface, SyncID: sd.SyncID, Instance: sd.Instance}
	if role != 0 {
		out.Role = role.String()
	}
	if out.SyncID == 0 {
		for _, in := range cfg.VRRPInstances {
			if in.Name == sd.Instance {
				out.SyncID = in.VirtualRouterID
			}
		}
	}
	return out
}

// virtualServerStatus is one virtual server: hs its health, vs its config block (nil: none
// matches), weights its real servers' configured weights, dests what the director last
// asked of IPVS, kernel the kernel's services of the block.
func virtualServerStatus(hs healthcheck.Status, vs *config.VirtualServer, weights map[netip.AddrPort]int,
	dests map[destRef]destState, kernel []lvs.ServiceStats) control.VirtualServer {
	cv := control.VirtualServer{Name: hs.VirtualServer, Quorum: hs.Quorum, QuorumUp: hs.QuorumUp, AliveWeight: hs.AliveWeight,
		RealServers: []control.RealServer{}}
	if vs != nil {
		cv.Name, cv.Scheduler, cv.Method = vs.Name(), string(vs.Scheduler), string(vs.Method)
		if vs.FWMark == 0 {
			cv.Protocol = string(vs.Protocol)
		}
		cv.SorryActive = !hs.QuorumUp && vs.SorryServer.IsValid()
	}
	sums := map[netip.AddrPort]lvs.DestinationStats{}
	for _, s := range kernel {
		if cv.Stats == nil {
			cv.Stats = &control.IPVSStats{}
		}
		addStats(cv.Stats, s.Stats)
		cv.Services = append(cv.Services, ipvsService(s))
		for _, d := range s.Destinations {
			sum := sums[d.Addr]
			sum.Addr = d.Addr
			sum.ActiveConns += d.ActiveConns
			sum.InactiveConns += d.InactiveConns
			sum.Stats = sumStats(sum.Stats, d.Stats)
			sums[d.Addr] = sum
		}
	}
	for _, rs := range hs.RealServers {
		cr := control.RealServer{Addr: rs.Addr, Weight: weights[rs.Addr], Health: health(rs), HealthSince: rs.Since,
			LastCheck: lastResult(rs.Checks)}
		if ds, ok := dests[destRef{hs.VirtualServer, rs.Addr}]; ok {
			cr.EffectiveWeight, cr.InTable = ds.weight, ds.inTable
		}
		if sum, ok := sums[rs.Addr]; ok {
			cr.ActiveConns, cr.InactiveConns = sum.ActiveConns, sum.InactiveConns
			cr.Stats = &control.IPVSStats{}
			addStats(cr.Stats, sum.Stats)
		}
		cv.RealServers = append(cv.RealServers, cr)
	}
	return cv
}

// health is up or down as the checkers settled it; unknown while no checker has finished.
// A real server without checkers is up, as keepalived has it.
func health(rs healthcheck.RealServerStatus) control.Health {
	if len(rs.Checks) > 0 && !slices.ContainsFunc(rs.Checks, func(c healthcheck.CheckStatus) bool { return !c.LastAt.IsZero() }) {
		return control.HealthUnknown
	}
	if rs.Alive {
		return control.HealthUp
	}
	return control.HealthDown
}

// lastResult is the most recent result among a real server's checkers.
func lastResult(checks []healthcheck.CheckStatus) *control.CheckResult {
	var last *healthcheck.CheckStatus
	for i := range checks {
		if c := &checks[i]; !c.LastAt.IsZero() && (last == nil || c.LastAt.After(last.LastAt)) {
			last = c
		}
	}
	if last == nil {
		return nil
	}
	return &control.CheckResult{Checker: last.Checker, At: last.LastAt, OK: last.LastOK,
		Latency: control.Duration(last.LastLatency), Error: last.LastError}
}

// ipvsService is one kernel service with its destinations, as the kernel counts them.
func ipvsService(s lvs.ServiceStats) control.IPVSService {
	out := control.IPVSService{Family: s.Key.Family.String(), FWMark: s.Key.FWMark,
		Destinations: []control.IPVSDestination{}}
	if s.Key.FWMark == 0 {
		out.Protocol, out.Addr = s.Key.Protocol.String(), s.Key.Addr
	}
	addStats(&out.Stats, s.Stats)
	for _, d := range s.Destinations {
		cd := control.IPVSDestination{Addr: d.Addr, Weight: d.Weight, ActiveConns: d.ActiveConns, InactiveConns: d.InactiveConns}
		addStats(&cd.Stats, d.Stats)
		out.Destinations = append(out.Destinations, cd)
	}
	return out
}

func addStats(dst *control.IPVSStats, s lvs.Stats) {
	dst.Connections += s.Connections
	dst.PacketsIn += s.PacketsIn
	dst.PacketsOut += s.PacketsOut
	dst.BytesIn += s.BytesIn
	dst.BytesOut += s.BytesOut
	dst.CPS += s.Rates.CPS
	dst.InPPS += s.Rates.InPPS
	dst.OutPPS += s.Rates.OutPPS
	dst.InBPS += s.Rates.InBPS
	dst.OutBPS += s.Rates.OutBPS
}

func sumStats(a, b lvs.Stats) lvs.Stats {
	return lvs.Stats{Connections: a.Connections + b.Connections, PacketsIn: a.PacketsIn + b.PacketsIn,
		PacketsOut: a.PacketsOut + b.PacketsOut, BytesIn: a.BytesIn + b.BytesIn, BytesOut: a.BytesOut + b.BytesOut,
		Rates: lvs.Rates{CPS: a.Rates.CPS + b.Rates.CPS, InPPS: a.Rates.InPPS + b.Rates.InPPS,
			OutPPS: a.Rates.OutPPS + b.Rates.OutPPS, InBPS: a.Rates.InBPS + b.Rates.InBPS, OutBPS: a.Rates.OutBPS + b.Rates.OutBPS}}
}
