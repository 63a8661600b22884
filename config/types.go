package config

import (
	"net/netip"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"
)

// Config is a whole halvs configuration: typed, with every default applied and every
// reference checked. Slices keep the order of the file. It is plain data; callers must not
// modify a Config that another goroutine reads.
type Config struct {
	Global              Global
	VRRPScripts         []VRRPScript
	VRRPInstances       []VRRPInstance
	VRRPSyncGroups      []VRRPSyncGroup
	TrackFiles          []TrackFile
	TrackProcesses      []TrackProcess
	InterfaceDelays     []InterfaceDelay // interface_up_down_delays
	VirtualServerGroups []VirtualServerGroup
	VirtualServers      []VirtualServer
	// StaticIPAddresses, StaticRoutes and StaticRules are static_ipaddress, static_routes
	// and static_rules: added at start whatever the VRRP state, removed at stop.
	StaticIPAddresses []VIP
	StaticRoutes      []Route
	StaticRules       []Rule
	// BGP is the bgp block (nil: none) and BGPAnnounces the bgp_announce blocks (bgp.go).
	BGP          *BGP
	BGPAnnounces []BGPAnnounce
}

// Source records where a definition came from, so that later packages can say
// "VI_1 (director-a.hcl:5:1)". It is ignored by IgnorePositions.
type Source struct {
	Range   hcl.Range              // the block header, or the list entry
	Attrs   map[string]hcl.Range   // keyword → the range of its value, for keywords that were set
	Entries map[string][]hcl.Range // list keyword → the range of each entry kept, in order
}

// Entry returns the range of the i-th kept entry of a list keyword (unicast_peer), else the
// range of the keyword's value.
func (s Source) Entry(keyword string, i int) hcl.Range {
	if rs := s.Entries[keyword]; i >= 0 && i < len(rs) {
		return rs[i]
	}
	return s.Of(keyword)
}

func (s *Source) setEntries(keyword string, rs []hcl.Range) {
	if s.Entries == nil {
		s.Entries = map[string][]hcl.Range{}
	}
	s.Entries[keyword] = rs
}

// Of returns the range of the keyword's value if it was set, else the definition's range.
func (s Source) Of(keyword string) hcl.Range {
	if r, ok := s.Attrs[keyword]; ok {
		return r
	}
	return s.Range
}

// Global is the `global` block (keepalived's global_defs).
type Global struct {
	RouterID                    string // "" means the host name
	ScriptUser                  string // default user for scripts; "" means the user halvs runs as
	ScriptGroup                 string
	EnableScriptSecurity        bool
	VRRPVersion                 int // 2 or 3; default 2
	VRRPGarpMasterDelay         time.Duration
	VRRPGarpMasterRepeat        int
	VRRPGarpMasterRefresh       time.Duration // 0: no refresh
	VRRPGarpMasterRefreshRepeat int
	NotifyFifo                  string
	LVSNotifyFifo               string         // lvs_notify_fifo: the checkers' VS / RS lines (also on NotifyFifo)
	RSInitNotifies              bool           // rs_init_notifies: notify_up and the FIFO line for a server that starts up alive
	LVSSyncDaemon               *LVSSyncDaemon // nil: no connection synchronisation
	LVSTimeouts                 *LVSTimeouts   // nil: leave the kernel's timeouts alone
	SSL                         *SSL           // nil: ssl_get presents no client certificate
	CheckerLogAllFailures       bool           // every checker logs every failure (log_all_failures)
	ControlSocket               string         // halvs: the status/control socket path
	MetricsListen               string         // halvs: "host:port" for /metrics; "" is off
	Timing                      GlobalTiming   // VRRP timing and scheduling (vrrp_timing.go)
	Source                      Source

	// halvs: with lvs_sync_daemon, how long a director that would preempt runs as the sync
	// backup first (0: no wait); see DefaultLVSSyncPreemptDelay.
	LVSSyncPreemptDelay time.Duration
	LVSSloppyTCP        bool // halvs: net.ipv4.vs.sloppy_tcp (schedule mid-stream TCP packets)
	LVSSloppySCTP       bool // halvs: net.ipv4.vs.sloppy_sctp
	// halvs: a director that does not hold a VIP still serves with IPVS the virtual servers'
	// packets that reach it (director/handover.go); on by default with lvs_sync_daemon.
	LVSHandoverAccept    bool
	HasLVSHandoverAccept bool
}

// LVSSyncDaemon is global's lvs_sync_daemon block: the kernel IPVS connection sync daemon,
// master on the director where Instance is MASTER, backup elsewhere.
type LVSSyncDaemon struct {
	Interface string
	Instance  string // a vrrp_instance name
	SyncID    int    // 0..255; default the instance's virtual_router_id
	Source    Source
}

// LVSTimeouts is global's lvs_timeouts block (ipvsadm --set). A zero duration leaves that
// timeout unchanged.
type LVSTimeouts struct {
	TCP    time.Duration
	TCPFin time.Duration
	UDP    time.Duration
	Source Source
}

// Script is a program to run and its arguments, without a shell. A config string is split
// into words as keepalived does (quotes group words, no expansion); a list is taken as argv.
// An empty Argv means no script.
type Script struct {
	Argv []string
}

// IsZero reports whether no script is configured.
func (s Script) IsZero() bool { return len(s.Argv) == 0 }

func (s Script) String() string { return strings.Join(s.Argv, " ") }

// Family is an address family.
type Family int

const (
	FamilyUnspec Family = iota
	IPv4
	IPv6
)

func (f Family) String() string {
	switch f {
	case IPv4:
		return "IPv4"
	case IPv6:
		return "IPv6"
	}
	return "unspecified"
}

func familyOf(a netip.Addr) Family {
	switch {
	case a.Is4():
		return IPv4
	case a.Is6():
		return IPv6
	}
	return FamilyUnspec
}
