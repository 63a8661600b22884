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
	UnicastSrcIP            netip.Addr
	UnicastPeers            []netip.Addr            // empty: multicast
	UnicastPeerTTL          map[netip.Addr]TTLRange // peers with min_ttl / max_ttl; others: any TTL
	UnicastTTL              int                     // unicast_ttl, 1..255 (255): TTL of sent unicast adverts
	TrackInterfaces         []TrackInterface
	TrackScripts            []TrackScript
	TrackVirtualServers     []TrackVirtualServer
	GarpMasterDelay         time.Duration
	GarpMasterRepeat        int
	GarpMasterRefresh       time.Duration
	GarpMasterRefreshRepeat int
	V3ChecksumAsV2          bool
	DontTrackPrimary        bool // the interface going down is no fault (track_interface still is)
	NotifyMaster            Script
	NotifyBackup            Script
	NotifyFault             Script
	NotifyStop              Script
	Notify                  Script
	NotifyFifo              string
	Source                  Source
}

// TTLRange is the TTL (IPv6: hop limit) accepted from a unicast peer, both ends included:
// keepalived's "unicast_peer { ADDR min_ttl N max_ttl N }", each end 0..255.
type TTLRange struct{ Min, Max int }

// VIP is one virtual_ipaddress entry in keepalived's string form
// "ADDR[/LEN] [brd ADDR] [dev IF] [scope S] [label L] [no_track] [takeover]" (no_track is
// read and has no effect: a warning says so).
type VIP struct {
	Prefix    netip.Prefix // the address and its length; /32 or /128 when none was given
	Broadcast netip.Addr
	Dev       string // "" means the instance's interface
	Scope     string // "" (global), "site", "link", "host", "nowhere"
	Label     string
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
type VRRPSyncGroup struct {
	Name         string
	Group        []string // vrrp_instance names
	NotifyMaster Script
	NotifyBackup Script
	NotifyFault  Script
	NotifyStop   Script
	Notify       Script
	Source       Source
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

// TrackFile is a `track_file "NAME"` block: a file holding a number, read by file_check.
type TrackFile struct {
	Name   string
	File   string
	Weight int // multiplier for the value read; default 1
	Source Source
}
