package vrrp

import (
	"errors"
	"fmt"
	"maps"
	"net/netip"
	"slices"
	"time"
)

// keepalived's gratuitous ARP defaults (vrrp_garp_master_repeat, _delay, _refresh).
const (
	DefaultGARPRepeat = 5
	DefaultGARPDelay  = 5 * time.Second
)

// InstanceConfig is one vrrp_instance, in plain types (the config package is translated into
// it by the director). Zero values mean keepalived's defaults where one exists.
type InstanceConfig struct {
	Name      string // vrrp_instance name, e.g. "VI_1"
	Interface string
	VRID      uint8
	Version   uint8 // 2 (default) or 3
	// Priority is the base priority, 1..255 (255: address owner). Zero means 100.
	Priority      uint8
	Interval      time.Duration // advert_int; 1 s when zero
	InitialMaster bool          // `state MASTER`
	NoPreempt     bool
	PreemptDelay  time.Duration
	AuthType      AuthType // version 2: AuthNone or AuthPass
	AuthPass      string   // first 8 bytes used, as keepalived does
	VIPs          []VIP    // one address family; Dev empty means Interface
	// ExcludedVIPs are virtual_ipaddress_excluded: added and removed with the VIPs and
	// announced with them, but never carried in adverts, so they may be of either family
	// and as many as wanted. Dev empty means Interface. A reload changes them in place.
	ExcludedVIPs []VIP
	// VirtualRoutes and VirtualRules are virtual_routes and virtual_rules: added after the
	// VIPs on becoming MASTER, removed before them on leaving it (Deps.Routes does it). A
	// reload changes them in place.
	VirtualRoutes []Route
	VirtualRules  []Rule
	// UnicastSrc is unicast_src_ip (or mcast_src_ip); zero means the interface's address.
	UnicastSrc   netip.Addr
	UnicastPeers []netip.Addr // non-empty selects unicast mode
	// UnicastTTL is unicast_ttl, the TTL / hop limit of unicast adverts; 255 when zero.
	UnicastTTL uint8
	// UnicastPeerTTL is min_ttl / max_ttl of the unicast peers that have them: their adverts
	// are dropped (DropTTL) outside the range. Other unicast adverts pass at any TTL, as in
	// keepalived; multicast ones need 255 (RFC 5798).
	UnicastPeerTTL map[netip.Addr]TTLRange
	// SkipTTLCheck accepts multicast adverts whatever their TTL too (no keyword sets it).
	SkipTTLCheck   bool
	V3ChecksumAsV2 bool
	// DontTrackPrimary is dont_track_primary: the instance's own interface going down is
	// not a fault (its track_interface entries still are).
	DontTrackPrimary bool

	GARPRepeat        int           // announcements per burst; DefaultGARPRepeat when zero
	GARPDelay         time.Duration // to the second burst; DefaultGARPDelay when zero, <0 for none
	GARPRefresh       time.Duration // periodic refresh while MASTER; 0 off
	GARPRefreshRepeat int           // announcements per refresh; 1 when zero

	Timing InstanceTiming // instance_timing.go

	Track  []Track
	Notify NotifyConfig
}

// ErrConfig is wrapped by every InstanceConfig validation error.
var ErrConfig = errors.New("vrrp: invalid instance")

// withDefaults returns c with keepalived's defaults filled in.
func (c InstanceConfig) withDefaults() InstanceConfig {
	if c.Version == 0 {
		c.Version = 2
	}
	if c.Priority == 0 {
		c.Priority = 100
	}
	if c.Interval == 0 {
		c.Interval = time.Second
	}
	if c.GARPRepeat == 0 {
		c.GARPRepeat = DefaultGARPRepeat
	}
	if c.GARPDelay == 0 {
		c.GARPDelay = DefaultGARPDelay
	}
	if c.GARPRefreshRepeat == 0 {
		c.GARPRefreshRepeat = 1
	}
	c.VIPs = slices.Clone(c.VIPs)
	c.ExcludedVIPs = slices.Clone(c.ExcludedVIPs)
	c.VirtualRoutes = slices.Clone(c.VirtualRoutes)
	c.VirtualRules = slices.Clone(c.VirtualRules)
	for _, vs := range [][]VIP{c.VIPs, c.ExcludedVIPs} {
		for i := range vs {
			if vs[i].Dev == "" {
				vs[i].Dev = c.Interface
			}
		}
	}
	return c
}

// IPv6 reports whether the instance's VIPs are IPv6.
func (c InstanceConfig) IPv6() bool {
	return len(c.VIPs) > 0 && c.VIPs[0].Prefix.Addr().Is6()
}

// Validate checks c (after defaults) and says what is wrong.
func (c InstanceConfig) Validate() error {
	c = c.withDefaults()
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w %q: %s", ErrConfig, c.Name, fmt.Sprintf(format, args...))
	}
	switch {
	case c.Name == "":
		return bad("no name")
	case c.Interface == "":
		return bad("no interface")
	case c.VRID == 0:
		return bad("virtual_router_id must be 1-255")
	case c.Version != 2 && c.Version != 3:
		return bad("version %d (want 2 or 3)", c.Version)
	case len(c.VIPs) == 0:
		return bad("no virtual_ipaddress")
	case len(c.VIPs) > 255:
		return bad("%d virtual addresses (at most 255 fit in an advert)", len(c.VIPs))
	}
	v6 := c.IPv6()
	for _, v := range c.VIPs {
		if !v.Prefix.IsValid() || v.Prefix.Addr().Is6() != v6 || v.Prefix.Addr().Zone() != "" {
			return bad("virtual address %v: all must be valid and of one family", v.Prefix)
		}
	}
	for _, v := range c.ExcludedVIPs {
		if !v.Prefix.IsValid() {
			return bad("virtual_ipaddress_excluded %v is not a valid address", v.Prefix)
		}
		if slices.ContainsFunc(c.VIPs, func(w VIP) bool { return w.Prefix.Addr() == v.Prefix.Addr() }) {
			return bad("%v is both a virtual address and an excluded one", v.Prefix.Addr())
		}
	}
	for _, r := range c.VirtualRoutes {
		if err := r.Validate(); err != nil {
			return bad("virtual_routes: %v", err)
		}
	}
	for _, r := range c.VirtualRules {
		if err := r.Validate(); err != nil {
			return bad("virtual_rules: %v", err)
		}
	}
	if v6 && c.Version == 2 {
		return bad("VRRP version 2 is IPv4 only")
	}
	if v6 && !c.VIPs[0].Prefix.Addr().IsLinkLocalUnicast() {
		// RFC 5798 §5.2.9: the first IPv6 address is the link-local one.
		return bad("the first IPv6 virtual address must be link-local (RFC 5798)")
	}
	probe := Advertisement{Version: c.Version, Interval: c.Interval}
	src, dst := MulticastIPv4, MulticastIPv4
	if v6 {
		src, dst = MulticastIPv6, MulticastIPv6
	}
	if _, err := probe.Marshal(src, dst, CodecOptions{}); err != nil || c.Interval <= 0 {
		return bad("advert_int %v cannot be sent by version %d", c.Interval, c.Version)
	}
	if c.AuthType != AuthNone && (c.Version != 2 || c.AuthType != AuthPass) {
		return bad("authentication %v: only PASS, and only with version 2", c.AuthType)
	}
	for _, p := range append(slices.Clone(c.UnicastPeers), c.UnicastSrc) {
		if p.IsValid() && p.Is6() != v6 {
			return bad("unicast address %v is not of the VIPs' family", p)
		}
	}
	if c.GARPRepeat < 0 || c.GARPRefresh < 0 || c.GARPRefreshRepeat < 0 {
		return bad("negative gratuitous ARP setting")
	}
	if err := c.validateTiming(); err != nil {
		return bad("%v", err)
	}
	for p, r := range c.UnicastPeerTTL {
		if !slices.Contains(c.UnicastPeers, p) || r.Min > r.Max {
			return bad("unicast peer TTL range %v %d-%d: not a peer, or min above max", p, r.Min, r.Max)
		}
	}
	for _, t := range c.Track {
		if t.Name == "" || t.Kind < TrackInterface || t.Kind > TrackProcess {
			return bad("tracked object %+v has no name or kind", t)
		}
		if t.Weight < -254 || t.Weight > 254 {
			return bad("track %s %q weight %d out of -254..254", t.Kind, t.Name, t.Weight)
		}
	}
	return nil
}

func (c InstanceConfig) filter() ReceiveFilter {
	f := ReceiveFilter{
		Version:      c.Version,
		VRID:         c.VRID,
		AuthType:     c.AuthType,
		Interval:     c.Interval,
		Peers:        slices.Clone(c.UnicastPeers),
		PeerTTL:      maps.Clone(c.UnicastPeerTTL),
		SkipTTLCheck: c.SkipTTLCheck,
		Codec:        CodecOptions{V3ChecksumAsV2: c.V3ChecksumAsV2},
	}
	if c.AuthType == AuthPass {
		f.AuthData = PassAuthData(c.AuthPass)
	}
	for _, v := range c.VIPs {
		f.VIPs = append(f.VIPs, v.Prefix.Addr())
	}
	return f
}

func (c InstanceConfig) machine(local netip.Addr, syncGroup bool) MachineConfig {
	return MachineConfig{
		Version:       c.Version,
		Priority:      c.Priority,
		Interval:      c.Interval,
		NoPreempt:     c.NoPreempt,
		PreemptDelay:  c.PreemptDelay,
		InitialMaster: c.InitialMaster,
		LocalAddr:     local,
		SyncGroup:     syncGroup,

		LowerPrioNoAdvert:    c.Timing.LowerPrioNoAdvert,
		HigherPrioSendAdvert: c.Timing.HigherPrioSendAdvert,
	}
}

// Status is a snapshot of an instance for status output and metrics.
type Status struct {
	Name           string
	State          State
	Priority       uint8 // effective
	BasePriority   uint8
	MasterAddr     netip.Addr // the current master (ourselves when MASTER); zero if unknown
	MasterSince    time.Time  // when MasterAddr last changed (the first advert of a new master)
	MasterInterval time.Duration
	Since          time.Time // of the last transition
	LastReason     string
	Faults         []string
	HoldUntil      time.Time // a Handover keeps the instance BACKUP until then; zero: none
}

// Counters are an instance's running totals.
type Counters struct {
	AdvertsSent      uint64
	AdvertsReceived  uint64 // accepted
	PriorityZeroSent uint64
	PriorityZeroRcvd uint64
	SendErrors       uint64
	Drops            map[DropReason]uint64 // rejected adverts, and the noted oddities
	Transitions      map[State]uint64      // entries into each state
	VIPRepairs       uint64                // VIPs found missing while MASTER and re-added
	RouteRepairs     uint64                // virtual routes and rules found missing while MASTER and re-added
	KernelErrors     uint64                // failed VIP add/remove/check and announcements
	ScriptErrors     uint64                // failed or timed-out notify scripts
	// NotifyDropped counts state notifications whose scripts did not run (or not all of
	// them) because a newer state was notified first (see notifier).
	NotifyDropped uint64
	// RepliesLimited counts lower-priority and priority-0 adverts a MASTER did not answer,
	// having answered one within the advert interval (see Machine.masterAdvert).
	RepliesLimited uint64
	LogSuppressed  uint64 // advert-path log lines not written (see logLimiter)
}

func (c InstanceConfig) garpSettings() garpSettings {
	return garpSettings{repeat: c.GARPRepeat, refreshRepeat: c.GARPRefreshRepeat, delay: c.GARPDelay, refresh: c.GARPRefresh,
		lowerRepeat: c.Timing.GARPLowerPrioRepeat, lowerDelay: c.Timing.GARPLowerPrioDelay,
		arpInterval: c.Timing.GARPInterval, naInterval: c.Timing.GNAInterval}
}
