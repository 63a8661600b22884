package director

import (
	"context"
	"net/netip"
	"os"
	"time"

	"github.com/halvs/halvs/config"
	"github.com/halvs/halvs/control"
	"github.com/halvs/halvs/vrrp"
)

// Status returns the director's status document: what the control socket serves and what
// `halvs status`, the status page and the metrics read. It joins the instances' and the
// health checks' state with the config in force and the kernel's IPVS counters; ctx bounds
// the BGP speaker's answer. Safe for concurrent use, at any time.
func (d *Director) Status(ctx context.Context) *control.Status {
	d.mu.Lock()
	cfg, p := d.cfg, d.plan
	d.mu.Unlock()
	st := &control.Status{SchemaVersion: control.StatusVersion, Time: time.Now(), RouterID: cfg.Global.RouterID,
		ConfigFile: d.opts.ConfigFile, Started: d.started,
		Instances: d.instanceStatus(cfg, p), VirtualServers: []control.VirtualServer{}, Events: []control.Event{}}
	if st.RouterID == "" {
		st.RouterID, _ = os.Hostname()
	}
	st.LastReload, st.ConfigLoaded = d.events.lastReload()
	st.Events = append(st.Events, d.events.list()...)
	if drops := d.router.UnroutedDrops(); len(drops) > 0 {
		for r, n := range drops {
			if n == 0 {
				continue
			}
			if st.UnroutedDrops == nil {
				st.UnroutedDrops = map[string]uint64{}
			}
			st.UnroutedDrops[r.String()] = n
		}
	}
	st.Static = staticStatus(p.vrrp.Static) // routes.go
	d.ipvsStatus(st, cfg, p)                // status_lvs.go
	st.BGP = d.bgpStatus(ctx)               // bgp.go
	return st
}

// instanceStatus is every instance's state, counters and trackers, with its VIPs, VRRP
// version and sync group from the config.
func (d *Director) instanceStatus(cfg *config.Config, p plan) []control.Instance {
	inCfg := map[string]*config.VRRPInstance{}
	for i := range cfg.VRRPInstances {
		inCfg[cfg.VRRPInstances[i].Name] = &cfg.VRRPInstances[i]
	}
	groupOf := map[string]string{}
	for _, g := range cfg.VRRPSyncGroups {
		for _, n := range g.Group {
			groupOf[n] = g.Name
		}
	}
	inPlan := map[string]vrrp.InstanceConfig{}
	for _, ic := range p.vrrp.Instances {
		inPlan[ic.Name] = ic
	}
	out := []control.Instance{}
	for _, inst := range d.router.Instances() {
		s := inst.Status()
		ic := inPlan[s.Name]
		ci := instanceDoc(s, inst.Counters(), d.obs.lastFrom(s.Name), inCfg[s.Name])                // observe.go
		ci.Interface, ci.VMAC = p.vrrp.vmacStatus(s.Name, ic.Interface)                             // vmac.go
		ci.VRID, ci.SyncGroup, ci.Trackers = int(ic.VRID), groupOf[s.Name], d.trackers(ic)          // track_status.go
		ci.VirtualRoutes, ci.VirtualRules = stringsOf(ic.VirtualRoutes), stringsOf(ic.VirtualRules) // routes.go
		out = append(out, ci)
	}
	return out
}

// instanceDoc is one instance's state s and counters c, lastFrom the state it left last
// ("" before its first change), with the VRRP version and VIPs of its config block (nil:
// none).
func instanceDoc(s vrrp.Status, c vrrp.Counters, lastFrom string, block *config.VRRPInstance) control.Instance {
	ci := control.Instance{
		Name: s.Name, State: s.State.String(), Priority: int(s.BasePriority), EffectivePriority: int(s.Priority),
		MasterAddr: s.MasterAddr, MasterSince: s.MasterSince, Since: s.Since, Faults: s.Faults,
		HoldUntil: s.HoldUntil, VIPs: []netip.Prefix{},
		Counters: control.Counters{
			AdvertsSent: c.AdvertsSent, AdvertsReceived: c.AdvertsReceived,
			PriorityZeroSent: c.PriorityZeroSent, PriorityZeroReceived: c.PriorityZeroRcvd,
			SendErrors: c.SendErrors, VIPRepairs: c.VIPRepairs, RouteRepairs: c.RouteRepairs, KernelErrors: c.KernelErrors,
			ScriptErrors: c.ScriptErrors, RepliesLimited: c.RepliesLimited, LogSuppressed: c.LogSuppressed,
		},
	}
	if !s.MasterAddr.IsValid() {
		ci.MasterSince = time.Time{}
	}
	for r, n := range c.Drops {
		if ci.Counters.Drops == nil {
			ci.Counters.Drops = map[string]uint64{}
		}
		ci.Counters.Drops[r.String()] = n
	}
	for to, n := range c.Transitions {
		if ci.Counters.Transitions == nil {
			ci.Counters.Transitions = map[string]uint64{}
		}
		ci.Counters.Transitions[to.String()] = n
	}
	if lastFrom != "" {
		ci.LastTransition = &control.Transition{From: lastFrom, To: ci.State, Reason: s.LastReason, At: s.Since}
	}
	if block != nil {
		ci.Version = block.Version
		for _, v := range block.VirtualIPAddresses {
			ci.VIPs = append(ci.VIPs, v.Prefix)
		}
	}
	return ci
}
