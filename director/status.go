package director

import (
	"net/netip"
	"sort"
	"time"

	"github.com/halvs/halvs/lvs"
	"github.com/halvs/halvs/track"
	"github.com/halvs/halvs/vrrp"
)

// Status is a snapshot of a running director for the control socket and metrics: plain
// data, safe to keep and to marshal as JSON.
type Status struct {
	Time           time.Time              `json:"time"`
	Instances      []InstanceStatus       `json:"instances"`
	SyncGroups     []SyncGroupStatus      `json:"sync_groups,omitempty"`
	VirtualServers []VirtualServerStatus  `json:"virtual_servers,omitempty"`
	SyncDaemon     string                 `json:"sync_daemon,omitempty"` // "master", "backup" or "" (none)
	IPVS           *IPVSStatus            `json:"ipvs,omitempty"`        // nil: IPVS not in use
	UnroutedDrops  map[string]uint64      `json:"unrouted_drops,omitempty"`
	Scripts        map[string]ScriptState `json:"scripts,omitempty"`
	// TrackFiles are the tracked track_files' values, TrackProcesses the tracked
	// vrrp_track_processes' counts and quorums (trackers.go).
	TrackFiles     map[string]int                `json:"track_files,omitempty"`
	TrackProcesses map[string]track.ProcessState `json:"track_processes,omitempty"`
	// Static is what static_ipaddress, static_routes and static_rules keep in the kernel.
	Static *StaticStatus `json:"static,omitempty"`
	// Events are the last EventsKept state changes, checker transitions and reloads,
	// newest first; LastReload is nil until the first reload.
	Events     []Event       `json:"events,omitempty"`
	LastReload *ReloadStatus `json:"last_reload,omitempty"`
}

// StaticStatus lists the static_* entries, routes and rules in `ip` words.
type StaticStatus struct {
	Addresses []string `json:"addresses,omitempty"`
	Routes    []string `json:"routes,omitempty"`
	Rules     []string `json:"rules,omitempty"`
}

// InstanceStatus is one vrrp_instance.
type InstanceStatus struct {
	Name              string            `json:"name"`
	Interface         string            `json:"interface"`
	VMAC              string            `json:"vmac,omitempty"` // use_vmac's interface, which holds the VIPs
	VRID              int               `json:"virtual_router_id"`
	State             string            `json:"state"` // INIT, BACKUP, MASTER, FAULT, STOP
	Priority          int               `json:"priority"`
	EffectivePriority int               `json:"effective_priority"`
	MasterAddr        netip.Addr        `json:"master_addr"`         // zero ("") when unknown
	MasterSince       time.Time         `json:"master_since"`        // when MasterAddr changed: a new master's first advert
	HoldUntil         time.Time         `json:"hold_until,omitzero"` // Failover holds the instance BACKUP until then
	LastFrom          string            `json:"last_from,omitempty"` // the state before State ("" before the first change)
	MasterInterval    time.Duration     `json:"master_interval"`
	Since             time.Time         `json:"since"`
	LastReason        string            `json:"last_reason,omitempty"`
	Faults            []string          `json:"faults,omitempty"`
	AdvertsSent       uint64            `json:"adverts_sent"`
	AdvertsReceived   uint64            `json:"adverts_received"`
	PriorityZeroSent  uint64            `json:"priority_zero_sent"`
	PriorityZeroRcvd  uint64            `json:"priority_zero_received"`
	SendErrors        uint64            `json:"send_errors"`
	Drops             map[string]uint64 `json:"drops,omitempty"` // by reason, e.g. "ttl", "auth_password"
	Transitions       map[string]uint64 `json:"transitions,omitempty"`
	VIPRepairs        uint64            `json:"vip_repairs"`
	KernelErrors      uint64            `json:"kernel_errors"`
	ScriptErrors      uint64            `json:"script_errors"`
	RepliesLimited    uint64            `json:"replies_limited"`      // lower-priority adverts not answered (rate limit)
	LogSuppressed     uint64            `json:"log_lines_suppressed"` // advert-path log lines over their rate limit
	Trackers          []TrackerStatus   `json:"trackers,omitempty"`
	// VirtualRoutes and VirtualRules are the instance's, in `ip` words; held while MASTER.
	VirtualRoutes []string `json:"virtual_routes,omitempty"`
	VirtualRules  []string `json:"virtual_rules,omitempty"`
}

// SyncGroupStatus is one vrrp_sync_group.
type SyncGroupStatus struct {
	Name  string `json:"name"`
	State string `json:"state"`
}

// ScriptState is a vrrp_script's settled result: "OK", "KO" or "" (not yet known).
type ScriptState string

// VirtualServerStatus is one virtual_server and its health.
type VirtualServerStatus struct {
	Name        string             `json:"name"` // "10.10.10.22:80/TCP"
	Quorum      int                `json:"quorum"`
	QuorumUp    bool               `json:"quorum_up"`
	AliveWeight int                `json:"alive_weight"`
	RealServers []RealServerStatus `json:"real_servers"`
	// Services are the kernel services the block programs (one per address and firewall
	// mark of a virtual_server_group).
	Services []lvs.ServiceKey `json:"-"`
}

// RealServerStatus is one real server: its configured weight, what the director asked of
// IPVS (effective weight, in the table or withdrawn), and its checks.
type RealServerStatus struct {
	Addr             netip.AddrPort `json:"addr"`
	ConfiguredWeight int            `json:"configured_weight"`
	EffectiveWeight  int            `json:"effective_weight"`
	InTable          bool           `json:"in_table"`
	Healthy          bool           `json:"healthy"`
	Since            time.Time      `json:"since"`
	Checks           []CheckStatus  `json:"checks,omitempty"`
}

// CheckStatus is one checker's last result.
type CheckStatus struct {
	Checker     string        `json:"checker"` // "tcp_check 10.10.10.31:80"
	Up          bool          `json:"up"`
	LastAt      time.Time     `json:"last_at"`
	LastOK      bool          `json:"last_ok"`
	LastLatency time.Duration `json:"last_latency"`
	LastError   string        `json:"last_error,omitempty"`
}

// IPVSStatus counts the director's IPVS operations.
type IPVSStatus struct {
	Operations int `json:"operations"` // applied since start
	Failed     int `json:"failed"`
}

// Status returns a snapshot of the director. Safe for concurrent use, at any time.
func (d *Director) Status() Status {
	st := Status{Time: time.Now()}
	d.mu.Lock()
	p := d.plan
	scripts := map[string]ScriptState{}
	for _, s := range p.vrrp.Scripts {
		scripts[s.Name] = ""
	}
	d.mu.Unlock()
	byName := map[string]vrrp.InstanceConfig{}
	for _, ic := range p.vrrp.Instances {
		byName[ic.Name] = ic
	}
	for _, inst := range d.router.Instances() {
		s, c := inst.Status(), inst.Counters()
		ic := byName[s.Name]
		iface, vmac := p.vrrp.vmacStatus(s.Name, ic.Interface) // vmac.go
		is := InstanceStatus{
			Name: s.Name, Interface: iface, VMAC: vmac, VRID: int(ic.VRID), State: s.State.String(),
			Priority: int(s.BasePriority), EffectivePriority: int(s.Priority), MasterAddr: s.MasterAddr,
			MasterSince: s.MasterSince, HoldUntil: s.HoldUntil, LastFrom: d.obs.lastFrom(s.Name),
			MasterInterval: s.MasterInterval, Since: s.Since, LastReason: s.LastReason, Faults: s.Faults,
			AdvertsSent: c.AdvertsSent, AdvertsReceived: c.AdvertsReceived, PriorityZeroSent: c.PriorityZeroSent,
			PriorityZeroRcvd: c.PriorityZeroRcvd, SendErrors: c.SendErrors, VIPRepairs: c.VIPRepairs,
			KernelErrors: c.KernelErrors, ScriptErrors: c.ScriptErrors,
			RepliesLimited: c.RepliesLimited, LogSuppressed: c.LogSuppressed,
			Drops: map[string]uint64{}, Transitions: map[string]uint64{}, Trackers: d.trackers(ic),
			VirtualRoutes: stringsOf(ic.VirtualRoutes), VirtualRules: stringsOf(ic.VirtualRules), // routes.go
		}
		for r, n := range c.Drops {
			is.Drops[r.String()] = n
		}
		for s, n := range c.Transitions {
			is.Transitions[s.String()] = n
		}
		st.Instances = append(st.Instances, is)
	}
	for _, g := range p.vrrp.SyncGroups {
		if sg := d.router.SyncGroup(g.Name); sg != nil {
			st.SyncGroups = append(st.SyncGroups, SyncGroupStatus{Name: g.Name, State: sg.State().String()})
		}
	}
	if drops := d.router.UnroutedDrops(); len(drops) > 0 {
		st.UnroutedDrops = map[string]uint64{}
		for r, n := range drops {
			if n > 0 {
				st.UnroutedDrops[r.String()] = n
			}
		}
	}
	d.track.mu.Lock()
	for ref, up := range d.track.known {
		if ref.Kind == vrrp.TrackScript {
			scripts[ref.Name] = map[bool]ScriptState{true: "OK", false: "KO"}[up]
		}
	}
	d.track.mu.Unlock()
	if len(scripts) > 0 {
		st.Scripts = scripts
	}
	st.TrackFiles, st.TrackProcesses = d.trackerValues()
	st.Static = staticStatus(p.vrrp.Static) // routes.go
	st.Events, st.LastReload = d.events.list(), d.events.lastReload()

	var dests map[destRef]destState
	if s := d.ipvs.Load(); s != nil {
		var role lvs.SyncRole
		var ops, errs int
		dests, role, ops, errs = s.snapshot()
		if role != 0 {
			st.SyncDaemon = role.String()
		}
		st.IPVS = &IPVSStatus{Operations: ops, Failed: errs}
	}
	weights := map[string]map[netip.AddrPort]int{}
	services := map[string][]lvs.ServiceKey{}
	for _, h := range p.health {
		weights[h.VS.Name] = h.Weights
		services[h.VS.Name] = h.Services
	}
	for _, hs := range d.health.Status() {
		vs := VirtualServerStatus{Name: hs.VirtualServer, Quorum: hs.Quorum, QuorumUp: hs.QuorumUp, AliveWeight: hs.AliveWeight,
			Services: services[hs.VirtualServer]}
		for _, rs := range hs.RealServers {
			r := RealServerStatus{Addr: rs.Addr, ConfiguredWeight: weights[hs.VirtualServer][rs.Addr],
				Healthy: rs.Alive, Since: rs.Since}
			if ds, ok := dests[destRef{hs.VirtualServer, rs.Addr}]; ok {
				r.EffectiveWeight, r.InTable = ds.weight, ds.inTable
			}
			for _, c := range rs.Checks {
				r.Checks = append(r.Checks, CheckStatus{Checker: c.Checker, Up: c.Up, LastAt: c.LastAt, LastOK: c.LastOK,
					LastLatency: c.LastLatency, LastError: c.LastError})
			}
			vs.RealServers = append(vs.RealServers, r)
		}
		st.VirtualServers = append(st.VirtualServers, vs)
	}
	sort.Slice(st.VirtualServers, func(i, j int) bool { return st.VirtualServers[i].Name < st.VirtualServers[j].Name })
	return st
}
