package config

import (
	"net/netip"
	"time"
)

// State is a vrrp_instance's initial state.
type State string

const (
	StateMaster State = "MASTER"
	StateBackup State = "BACKUP"
)

// AuthType is the VRRPv2 authentication type. Only PASS is supported (AH is refused).
type AuthType string

const AuthPass AuthType = "PASS"

// Auth is a vrrp_instance's authentication block (VRRPv2 only).
type Auth struct {
	Type AuthType
	Pass string // at most 8 bytes are sent
}

// VRRPInstance is a `vrrp_instance "NAME"` block, defaults applied.
type VRRPInstance struct {
	Name                    string
	State                   State
	Interface               string
	VirtualRouterID         int // 1..255
	Priority                int // 1..255; 255 is the address owner
	AdvertInt               time.Duration
	Version                 int // 2 or 3
	Family                  Family
	NoPreempt               bool
	PreemptDelay            time.Duration
	Auth                    *Auth // nil: no authentication
	VirtualIPAddresses      []VIP
	VirtualIPAddressesExcl  []VIP // virtual_ipaddress_excluded: added and removed, not advertised
	VirtualRoutes           []Route
	VirtualRules            []Rule
	UnicastSrcIP            netip.Addr
	UnicastPeers            []netip.Addr            // empty: multicast
	UnicastPeerTTL          map[netip.Addr]TTLRange // peers with min_ttl / max_ttl; others: any TTL
	UnicastTTL              int                     // unicast_ttl, 1..255 (255): TTL of sent unicast adverts
	TrackInterfaces         []TrackInterface
	TrackScripts            []TrackScript
	TrackVirtualServers     []TrackVirtualServer
	TrackFiles              []TrackRef // track_file entries: track_file blocks
	TrackProcesses          []TrackRef // track_process entries: vrrp_track_process blocks
	GarpMasterDelay         time.Duration
	GarpMasterRepeat        int
	GarpMasterRefresh       time.Duration
	GarpMasterRefreshRepeat int
	V3ChecksumAsV2          bool
	DontTrackPrimary        bool           // the interface going down is no fault (track_interface still is)
	Timing                  InstanceTiming // garp and advert-answer keywords (vrrp_timing.go)
	NotifyMaster            Script
	NotifyBackup            Script
	NotifyFault             Script
	NotifyStop              Script
	Notify                  Script
	NotifyFifo              string
	VMAC                    VMAC         // use_vmac, vmac_xmit_base (vrrp_vmac.go)
	NotifyEvents            NotifyEvents // notify_master_rx_lower_pri, notify_priority_changes, notify_deleted
	Source                  Source
}

// TTLRange is the TTL (IPv6: hop limit) accepted from a unicast peer, both ends included:
// keepalived's "unicast_peer { ADDR min_ttl N max_ttl N }", each end 0..255.
type TTLRange struct{ Min, Max int }

// VIP is one virtual_ipaddress entry in keepalived's string form
// "ADDR[/LEN] [brd ADDR|+|-] [dev IF] [scope S] [label L] [peer ADDR[/LEN]]
// [preferred_lft N|forever] [-nodad] [noprefixroute] [home] [mngtmpaddr] [autojoin]
// [no_track] [takeover]" (no_track is read and has no effect: a warning says so).
type VIP struct {
	Prefix    netip.Prefix // the address and its length; /32 or /128 when none was given
	Broadcast netip.Addr   // brd; "+" and "-" are computed from the prefix
	Dev       string       // "" means the instance's interface
	Scope     string       // "" (global), "site", "link", "host", "nowhere"
	Label     string
	// Peer is the other end of a point-to-point address; Prefix then has the peer's length.
	Peer netip.Addr
	// PreferredLft is preferred_lft in seconds when HasPreferredLft (IPv6); without it an
	// IPv6 /128 gets keepalived's 0 (deprecated: never chosen as a source), others forever.
	PreferredLft    uint32
	HasPreferredLft bool
	// DAD is keepalived's -nodad: run IPv6 duplicate address detection, which is skipped
	// otherwise (VRRP is the duplicate detection). "nodad" is the default, accepted as such.
	DAD bool
	// The `ip address` flags of the same names.
	NoPrefixRoute, Home, MngTmpAddr, AutoJoin bool
	// Takeover (halvs, the "takeover" option) lets the VIP be an address the host already
	// holds when halvs starts: halvs then treats it as its own, and removes it on release.
	Takeover bool
	Source   Source
}

// Addr is the VIP's address.
func (v VIP) Addr() netip.Addr { return v.Prefix.Addr() }

// TrackInterface is a track_interface entry: "eth1" or "eth1 weight 5 [reverse]".
// Weight 0 means a down interface puts the instance in FAULT.
type TrackInterface struct {
	Name    string
	Weight  int
	Reverse bool
	Source  Source
}

// TrackScript is a track_script entry: "chk_x" or "chk_x weight -20 [reverse]".
// Weight is the effective weight: the entry's, or the vrrp_script's when the entry has none.
type TrackScript struct {
	Name    string
	Weight  int
	Reverse bool
	Source  Source
}

// TrackVirtualServer (halvs) is a track_virtual_server entry: "10.10.10.22:80" or
// "10.10.10.22:80 weight -50". Weight 0 means losing the virtual server's quorum puts the
// instance in FAULT; otherwise the weight is added to the priority while the quorum is lost
// (negative weights) or held (positive weights).
type TrackVirtualServer struct {
	VirtualServer string // the virtual_server's label in canonical form (VirtualServer.Name())
	Weight        int
	Reverse       bool
	Source        Source
}

// VRRPSyncGroup is a `vrrp_sync_group "NAME"` block: instances that change state together.
// Its trackers apply to every member, with their weights (keepalived's rule).
type VRRPSyncGroup struct {
	Name            string
	Group           []string // vrrp_instance names
	TrackInterfaces []TrackInterface
	TrackScripts    []TrackScript
	TrackFiles      []TrackRef
	TrackProcesses  []TrackRef
	// TrackingWeight is sync_group_tracking_weight: the members keep the weights of their
	// own trackers. Without it, as in keepalived, a member's weighted track_interface and
	// a track_file of weight 1 count with weight 0 (down is FAULT), and its other weighted
	// track_script and track_file entries are ignored (the config warns at each).
	TrackingWeight bool
	NotifyMaster   Script
	NotifyBackup   Script
	NotifyFault    Script
	NotifyStop     Script
	Notify         Script
	Source         Source
}

// VRRPScript is a `vrrp_script "NAME"` block: a program whose exit status adjusts priority.
type VRRPScript struct {
	Name     string
	Script   Script
	Interval time.Duration
	Timeout  time.Duration // default: Interval
	Weight   int           // -253..253
	Reverse  bool
	Rise     int
	Fall     int
	User     string
	Group    string
	InitFail bool
	Source   Source
}

// TrackFile is a `track_file "NAME"` block: a file holding a number, read by file_check
// and tracked by vrrp instances and sync groups (track_file entries).
type TrackFile struct {
	Name    string
	File    string
	Weight  int  // multiplier for the value read; default 1
	Reverse bool // the weight's sign is inverted (weight 0: a zero value is the failure)
	// InitFile is init_file: write a value into the file at start. nil: leave it alone.
	InitFile *TrackFileInit
	Source   Source
}

// TrackFileInit is keepalived's `init_file [VALUE] [overwrite]`: VALUE (default 0) is
// written when the file does not exist, or at every start with Overwrite (never by a
// reload).
type TrackFileInit struct {
	Value     int
	Overwrite bool
}

// TrackProcess is a `vrrp_track_process "NAME"` block: how many processes matching Process
// run, watched through the kernel's process events.
type TrackProcess struct {
	Name string
	// Process is the name (or, with FullCommand, argv[0]) and optional parameters.
	Process     []string
	ParamMatch  string // "" (parameters not compared), "exact", "partial" or "initial"
	FullCommand bool   // match argv[0] instead of the process name; set by parameters
	Weight      int    // -254..254; 0: a lost quorum is a FAULT
	Reverse     bool
	Quorum      int // at least this many (default 1)
	QuorumMax   int // at most this many (default QuorumUnlimited)
	// ForkDelay and TerminateDelay hold a quorum gained by a fork, or lost by an exit, for
	// this long before it counts.
	ForkDelay, TerminateDelay time.Duration
	Source                    Source
}

// QuorumUnlimited is a vrrp_track_process's quorum_max when none is set.
const QuorumUnlimited = 1<<31 - 1

// TrackRef is a track_file or track_process entry of an instance or sync group:
// "NAME [weight N [reverse|noreverse]]". Weight and Reverse are the effective ones: the
// entry's, or the block's when the entry has none.
type TrackRef struct {
	Name    string
	Weight  int
	Reverse bool
	Source  Source
}
