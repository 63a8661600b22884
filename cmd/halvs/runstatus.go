package main

import (
	"net/netip"
	"os"
	"slices"
	"time"

	"github.com/halvs/halvs/config"
	"github.com/halvs/halvs/control"
	"github.com/halvs/halvs/director"
	"github.com/halvs/halvs/lvs"
)

// runInfo is what `halvs run` knows beyond the director's snapshot: the config in force
// and where and when it came from.
type runInfo struct {
	cfg     *config.Config
	path    string
	loaded  time.Time // last successful load or reload
	started time.Time
}

// toControlStatus is the control socket's status document (also what the metrics read):
// the director's snapshot, completed from the config in force (VRRP version, VIPs, sync
// group; protocol, scheduler, method; the sync daemon's settings) and from the kernel's
// IPVS counters, summed over the services a virtual_server programs.
func toControlStatus(st director.Status, stats []lvs.ServiceStats, info runInfo) *control.Status {
	cfg := info.cfg
	out := &control.Status{
		SchemaVersion: control.StatusVersion, Time: st.Time, RouterID: cfg.Global.RouterID,
		ConfigFile: info.path, ConfigLoaded: info.loaded, Started: info.started,
		Instances: []control.Instance{}, VirtualServers: []control.VirtualServer{}, Events: []control.Event{},
	}
	if out.RouterID == "" {
		out.RouterID, _ = os.Hostname()
	}
	insts := map[string]*config.VRRPInstance{}
	for i := range cfg.VRRPInstances {
		insts[cfg.VRRPInstances[i].Name] = &cfg.VRRPInstances[i]
	}
	groupOf := map[string]string{}
	for _, g := range cfg.VRRPSyncGroups {
		for _, n := range g.Group {
			groupOf[n] = g.Name
		}
	}
	for _, is := range st.Instances {
		ci := control.Instance{
			Name: is.Name, Interface: is.Interface, VMAC: is.VMAC, VRID: is.VRID, State: is.State,
			Priority: is.Priority, EffectivePriority: is.EffectivePriority, MasterAddr: is.MasterAddr,
			MasterSince: is.MasterSince, Since: is.Since, Faults: is.Faults, SyncGroup: groupOf[is.Name],
			HoldUntil: is.HoldUntil, VIPs: []netip.Prefix{}, VirtualRoutes: is.VirtualRoutes, VirtualRules: is.VirtualRules,
			Counters: control.Counters{
				AdvertsSent: is.AdvertsSent, AdvertsReceived: is.AdvertsReceived,
				PriorityZeroSent: is.PriorityZeroSent, PriorityZeroReceived: is.PriorityZeroRcvd,
				SendErrors: is.SendErrors, Drops: nonEmpty(is.Drops), Transitions: nonEmpty(is.Transitions),
				VIPRepairs: is.VIPRepairs, KernelErrors: is.KernelErrors, ScriptErrors: is.ScriptErrors,
				RepliesLimited: is.RepliesLimited, LogSuppressed: is.LogSuppressed,
			},
		}
		if !is.MasterAddr.IsValid() {
			ci.MasterSince = time.Time{}
		}
		for _, tr := range is.Trackers {
			ci.Trackers = append(ci.Trackers, control.Tracker{Kind: tr.Kind, Name: tr.Name, Weight: tr.Weight,
				Reverse: tr.Reverse, State: tr.State, Value: tr.Value})
		}
		if is.LastFrom != "" {
			ci.LastTransition = &control.Transition{From: is.LastFrom, To: is.State, Reason: is.LastReason, At: is.Since}
		}
		if c := insts[is.Name]; c != nil {
			ci.Version = c.Version
			for _, v := range c.VirtualIPAddresses {
				ci.VIPs = append(ci.VIPs, v.Prefix)
			}
		}
		out.Instances = append(out.Instances, ci)
	}

	byKey := map[lvs.ServiceKey]lvs.ServiceStats{}
	for _, s := range stats {
		byKey[s.Key] = s
	}
	vss := map[string]*config.VirtualServer{}
	for i := range cfg.VirtualServers {
		vs := &cfg.VirtualServers[i]
		vss[healthName(vs)] = vs
	}
	for _, v := range st.VirtualServers {
		cv := control.VirtualServer{Name: v.Name, Quorum: v.Quorum, QuorumUp: v.QuorumUp, AliveWeight: v.AliveWeight,
			RealServers: []control.RealServer{}}
		if c := vss[v.Name]; c != nil {
			cv.Name, cv.Scheduler, cv.Method = c.Name(), string(c.Scheduler), string(c.Method)
			if c.FWMark == 0 {
				cv.Protocol = string(c.Protocol)
			}
			cv.SorryActive = !v.QuorumUp && c.SorryServer.IsValid()
		}
		dests := map[netip.AddrPort]lvs.DestinationStats{}
		for _, k := range v.Services {
			s, ok := byKey[k]
			if !ok {
				continue
			}
			if cv.Stats == nil {
				cv.Stats = &control.IPVSStats{}
			}
			addStats(cv.Stats, s.Stats)
			cv.Services = append(cv.Services, ipvsService(s))
			for _, d := range s.Destinations {
				sum := dests[d.Addr]
				sum.ActiveConns += d.ActiveConns
				sum.InactiveConns += d.InactiveConns
				sum.Stats = sumStats(sum.Stats, d.Stats)
				sum.Addr = d.Addr
				dests[d.Addr] = sum
			}
		}
		for _, rs := range v.RealServers {
			cr := control.RealServer{Addr: rs.Addr, Weight: rs.ConfiguredWeight, EffectiveWeight: rs.EffectiveWeight,
				InTable: rs.InTable, Health: health(rs), HealthSince: rs.Since, LastCheck: lastResult(rs.Checks)}
			if d, ok := dests[rs.Addr]; ok {
				cr.ActiveConns, cr.InactiveConns = d.ActiveConns, d.InactiveConns
				cr.Stats = &control.IPVSStats{}
				addStats(cr.Stats, d.Stats)
			}
			cv.RealServers = append(cv.RealServers, cr)
		}
		out.VirtualServers = append(out.VirtualServers, cv)
	}

	if sd := cfg.Global.LVSSyncDaemon; sd != nil {
		role := st.SyncDaemon
		if role == "" {
			role = "none"
		}
		id := sd.SyncID
		if id == 0 {
			if c := insts[sd.Instance]; c != nil {
				id = c.VirtualRouterID
			}
		}
		out.SyncDaemon = &control.SyncDaemon{Role: role, Interface: sd.Interface, SyncID: id, Instance: sd.Instance}
	}
	out.UnroutedDrops = nonEmpty(st.UnroutedDrops)
	if s := st.Static; s != nil && (len(s.Addresses)+len(s.Routes)+len(s.Rules)) > 0 {
		out.Static = &control.Static{Addresses: s.Addresses, Routes: s.Routes, Rules: s.Rules}
	}
	if r := st.LastReload; r != nil {
		out.LastReload = &control.Reload{At: r.At, Result: "success", Errors: r.Errors}
		if !r.OK {
			out.LastReload.Result = "failure"
		}
	}
	for _, e := range st.Events {
		out.Events = append(out.Events, control.Event{At: e.At, Kind: e.Kind, Subject: e.Subject, State: e.State, Message: e.Message})
	}
	return out
}

// healthName is the director's name for a virtual_server (address and protocol, since TCP
// and UDP may share an address), as director.VirtualServerStatus.Name gives it.
func healthName(vs *config.VirtualServer) string {
	if vs.FWMark != 0 {
		return vs.Name()
	}
	return vs.Name() + "/" + string(vs.Protocol)
}

// health is up or down as the checkers settled it; unknown while no checker has finished.
// A real server without checkers is up, as keepalived has it.
func health(rs director.RealServerStatus) control.Health {
	if len(rs.Checks) > 0 && !slices.ContainsFunc(rs.Checks, func(c director.CheckStatus) bool { return !c.LastAt.IsZero() }) {
		return control.HealthUnknown
	}
	if rs.Healthy {
		return control.HealthUp
	}
	return control.HealthDown
}

// lastResult is the most recent result among a real server's checkers.
func lastResult(checks []director.CheckStatus) *control.CheckResult {
	var last *director.CheckStatus
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

func nonEmpty(m map[string]uint64) map[string]uint64 {
	if len(m) == 0 {
		return nil
	}
	return m
}

// reloadErrors is what status shows of a failed reload: the config's errors, or the
// director's refusal of a valid config; nil for a success.
func reloadErrors(diags config.Diagnostics, err error) []string {
	if err == nil {
		return nil
	}
	var out []string
	for _, dg := range diags.Errors() {
		out = append(out, dg.String())
	}
	if len(out) == 0 {
		out = append(out, err.Error())
	}
	return out
}
