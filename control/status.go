package control

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"time"
)

// StatusVersion is the Status document's schema_version; it changes only when a field
// changes meaning or disappears (new fields may be added at any time). Version 1 named it
// "version"; 2 renamed it and added last_reload, events, routes and static.
const StatusVersion = 2

// Status is the director's state at one moment: what GET /v1/status returns and what
// `halvs status`, the status page and the metrics collector read. Slices keep the order of
// the config file. docs/operations.md has the schema's table.
type Status struct {
	SchemaVersion  int             `json:"schema_version"`
	Time           time.Time       `json:"time"`      // when the snapshot was taken
	RouterID       string          `json:"router_id"` // global.router_id or the host name
	ConfigFile     string          `json:"config_file,omitempty"`
	ConfigLoaded   time.Time       `json:"config_loaded,omitzero"` // last successful load or reload
	Started        time.Time       `json:"started,omitzero"`
	Instances      []Instance      `json:"instances"`
	VirtualServers []VirtualServer `json:"virtual_servers"`
	SyncDaemon     *SyncDaemon     `json:"sync_daemon,omitempty"` // nil: no lvs_sync_daemon block
	// UnroutedDrops counts received VRRP messages no instance could take, by reason: "vrid"
	// (no instance has that VRID) or "length" (too short to carry one).
	UnroutedDrops map[string]uint64 `json:"unrouted_drops,omitempty"`
	LastReload    *Reload           `json:"last_reload,omitempty"` // nil: no reload since start
	Static        *Static           `json:"static,omitempty"`      // nil: no static_* entries
	BGP           *BGP              `json:"bgp,omitempty"`         // nil: no bgp block (bgp.go)
	// Events are the director's recent history (VRRP state changes, real servers up and
	// down, quorums, reloads), newest first, at most a few dozen.
	Events []Event `json:"events"`
}

// Reload is the outcome of the last reload (SIGHUP or `halvs reload`).
type Reload struct {
	At     time.Time `json:"at"`
	Result string    `json:"result"`           // "success" or "failure" (the old config stays)
	Errors []string  `json:"errors,omitempty"` // "FILE:LINE:COL: error: ...", or the director's refusal
}

// Event is one entry of the director's recent history.
type Event struct {
	At      time.Time `json:"at"`
	Kind    string    `json:"kind"`    // "vrrp", "check", "quorum" or "reload"
	Subject string    `json:"subject"` // instance; "VS → RS"; virtual server; config file
	// State is what the subject became: MASTER, BACKUP, FAULT, STOP, INIT; up, down; lost,
	// regained; success, failure.
	State   string `json:"state"`
	Message string `json:"message"`
}

// Static lists what static_ipaddress, static_routes and static_rules keep, in `ip` words.
type Static struct {
	Addresses []string `json:"addresses,omitempty"`
	Routes    []string `json:"routes,omitempty"`
	Rules     []string `json:"rules,omitempty"`
}

// Instance is one vrrp_instance.
type Instance struct {
	Name              string         `json:"name"`
	Interface         string         `json:"interface"`
	VMAC              string         `json:"vmac,omitempty"` // use_vmac's interface, which holds the VIPs
	VRID              int            `json:"vrid"`
	Version           int            `json:"version"`
	State             string         `json:"state"`                 // INIT, BACKUP, MASTER, FAULT, STOP
	Priority          int            `json:"priority"`              // configured
	EffectivePriority int            `json:"effective_priority"`    // after track_* weights
	MasterAddr        netip.Addr     `json:"master_addr,omitzero"`  // zero: no master heard yet
	MasterSince       time.Time      `json:"master_since,omitzero"` // when MasterAddr became master here (its first advert heard)
	Since             time.Time      `json:"since,omitzero"`        // of the last transition
	LastTransition    *Transition    `json:"last_transition,omitempty"`
	VIPs              []netip.Prefix `json:"vips"`
	Faults            []string       `json:"faults,omitempty"` // fault sources while FAULT
	SyncGroup         string         `json:"sync_group,omitempty"`
	HoldUntil         time.Time      `json:"hold_until,omitzero"` // a failover keeps us BACKUP until then
	Trackers          []Tracker      `json:"trackers,omitempty"`
	// VirtualRoutes and VirtualRules are the instance's virtual_routes and virtual_rules in
	// `ip` words, in the kernel while MASTER.
	VirtualRoutes []string `json:"virtual_routes,omitempty"`
	VirtualRules  []string `json:"virtual_rules,omitempty"`
	Counters      Counters `json:"counters"`
}

// Tracker is one object an instance tracks (track_interface, track_script,
// track_virtual_server, track_file, track_process), in the config's order.
type Tracker struct {
	Kind    string `json:"kind"` // "interface", "script", "virtual_server", "file" or "process"
	Name    string `json:"name"`
	Weight  int    `json:"weight"`            // 0: the instance is FAULT while the object is down
	Reverse bool   `json:"reverse,omitempty"` // the weight applies the other way round
	// State is the object's own state: "up", "down" or "unknown" (no result yet); a file's
	// is "value" once read, and Value its number.
	State string `json:"state"`
	Value *int   `json:"value,omitempty"`
}

// Transition is a state change and why it happened, in keepalived's words where it has them.
type Transition struct {
	From   string    `json:"from"`
	To     string    `json:"to"`
	Reason string    `json:"reason"`
	At     time.Time `json:"at"`
}

// Counters are an instance's running totals since halvs started.
type Counters struct {
	AdvertsSent          uint64            `json:"adverts_sent"`
	AdvertsReceived      uint64            `json:"adverts_received"` // accepted
	PriorityZeroSent     uint64            `json:"priority_zero_sent"`
	PriorityZeroReceived uint64            `json:"priority_zero_received"`
	SendErrors           uint64            `json:"send_errors"`
	Drops                map[string]uint64 `json:"drops,omitempty"`       // reason → rejected adverts
	Transitions          map[string]uint64 `json:"transitions,omitempty"` // state → entries into it
	VIPRepairs           uint64            `json:"vip_repairs"`
	RouteRepairs         uint64            `json:"route_repairs"` // virtual_routes and virtual_rules re-added while MASTER
	KernelErrors         uint64            `json:"kernel_errors"`
	ScriptErrors         uint64            `json:"script_errors"`
	// RepliesLimited counts lower-priority adverts not answered (one answer per advert_int).
	RepliesLimited uint64 `json:"replies_limited"`
	LogSuppressed  uint64 `json:"log_lines_suppressed"` // advert-path log lines over their rate limit
}

// VirtualServer is one IPVS service as configured and as the kernel counts it.
type VirtualServer struct {
	Name        string       `json:"name"`     // "10.10.10.22:80", "fwmark:1"
	Protocol    string       `json:"protocol"` // TCP, UDP, SCTP
	Scheduler   string       `json:"scheduler"`
	Method      string       `json:"method"` // NAT, DR, TUN
	Quorum      int          `json:"quorum"`
	QuorumUp    bool         `json:"quorum_up"`
	AliveWeight int          `json:"alive_weight"`
	SorryActive bool         `json:"sorry_active,omitempty"` // the sorry server replaced the real servers
	Stats       *IPVSStats   `json:"stats,omitempty"`        // nil: not read from the kernel
	RealServers []RealServer `json:"real_servers"`
	// Services are the kernel services the block programs (a virtual_server_group has
	// several) with their destinations, as the kernel has them; Stats and the real servers'
	// counters are their sums.
	Services []IPVSService `json:"ipvs_services,omitempty"`
}

// IPVSService is one service of the kernel's IPVS table, as `ipvsadm -Ln --stats --rate`
// lists it.
type IPVSService struct {
	Family       string            `json:"family"`             // "IPv4" or "IPv6"
	Protocol     string            `json:"protocol,omitempty"` // TCP, UDP, SCTP; empty for a firewall mark
	Addr         netip.AddrPort    `json:"addr,omitzero"`      // zero for a firewall mark
	FWMark       uint32            `json:"fwmark,omitempty"`
	Stats        IPVSStats         `json:"stats"`
	Destinations []IPVSDestination `json:"destinations"`
}

// IPVSDestination is one destination of a kernel service.
type IPVSDestination struct {
	Addr          netip.AddrPort `json:"addr"`
	Weight        int            `json:"weight"` // as the kernel holds it
	ActiveConns   uint64         `json:"active_conns"`
	InactiveConns uint64         `json:"inactive_conns"`
	Stats         IPVSStats      `json:"stats"`
}

// RealServer is one destination of a virtual server.
type RealServer struct {
	Addr            netip.AddrPort `json:"addr"`
	Weight          int            `json:"weight"`           // configured
	EffectiveWeight int            `json:"effective_weight"` // what the IPVS table holds (0 when inhibited)
	InTable         bool           `json:"in_table"`         // present in the IPVS table
	Health          Health         `json:"health"`
	HealthSince     time.Time      `json:"health_since,omitzero"`
	LastCheck       *CheckResult   `json:"last_check,omitempty"` // nil: no check has run yet
	ActiveConns     uint64         `json:"active_conns"`
	InactiveConns   uint64         `json:"inactive_conns"`
	Stats           *IPVSStats     `json:"stats,omitempty"`
}

// Health is a real server's health as its checkers see it.
type Health string

const (
	HealthUp      Health = "up"
	HealthDown    Health = "down"
	HealthUnknown Health = "unknown" // no checker has finished yet
)

// CheckResult is the most recent result of one of a real server's checkers.
type CheckResult struct {
	Checker string    `json:"checker"` // "tcp_check 10.10.10.31:80"
	At      time.Time `json:"at"`
	OK      bool      `json:"ok"`
	Latency Duration  `json:"latency"`
	Error   string    `json:"error,omitempty"`
}

// IPVSStats are the kernel's cumulative counters of a service or destination (its 64-bit
// ones) and its rates per second, as its estimator computes them (ipvsadm's CPS, InPPS,
// OutPPS, InBPS, OutBPS).
type IPVSStats struct {
	Connections uint64 `json:"connections"`
	PacketsIn   uint64 `json:"packets_in"`
	PacketsOut  uint64 `json:"packets_out"`
	BytesIn     uint64 `json:"bytes_in"`
	BytesOut    uint64 `json:"bytes_out"`
	CPS         uint64 `json:"cps"`
	InPPS       uint64 `json:"inpps"`
	OutPPS      uint64 `json:"outpps"`
	InBPS       uint64 `json:"inbps"`
	OutBPS      uint64 `json:"outbps"`
}

// SyncDaemon is the IPVS connection-sync daemon's role on this director.
type SyncDaemon struct {
	Role      string `json:"role"` // "master", "backup" or "none"
	Interface string `json:"interface"`
	SyncID    int    `json:"sync_id"`
	Instance  string `json:"instance"` // the vrrp_instance whose state decides the role
}

// Duration is a time.Duration that reads and writes JSON as Go's duration string ("1.5ms"),
// which people can read and scripts can parse.
type Duration time.Duration

func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(time.Duration(d).String()) }

func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("duration must be a string such as \"1.5s\": %w", err)
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return err
	}
	*d = Duration(v)
	return nil
}

func (d Duration) String() string { return time.Duration(d).String() }
