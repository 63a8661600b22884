package config

import (
	"net/netip"
	"time"
)

// The timing and scheduling keywords of issue 12: global ones (keepalived's global_defs
// vrrp_* names) and the per-instance ones that default to them.

// GlobalTiming holds global's VRRP timing and scheduling keywords.
type GlobalTiming struct {
	// StartupDelay is vrrp_startup_delay: the instances start (leave INIT, send and take
	// adverts) this long after halvs starts. A reload never waits for it.
	StartupDelay time.Duration
	// GarpInterval and GnaInterval are vrrp_garp_interval / vrrp_gna_interval: the least
	// time between two gratuitous ARPs (unsolicited NAs) sent on one interface; 0: none.
	GarpInterval, GnaInterval time.Duration
	// GarpLowerPrioRepeat and GarpLowerPrioDelay are vrrp_garp_lower_prio_repeat / _delay:
	// the announcements a MASTER sends when it receives a lower-priority advert, and the
	// delay to a second such burst. Unset, they are vrrp_garp_master_repeat and _delay.
	GarpLowerPrioRepeat int
	GarpLowerPrioDelay  time.Duration
	// LowerPrioNoAdvert (vrrp_lower_prio_no_advert) keeps a MASTER from answering a
	// lower-priority advert with an advert of its own (RFC 5798's rule).
	LowerPrioNoAdvert bool
	// HigherPrioSendAdvert (vrrp_higher_prio_send_advert) makes a MASTER that receives a
	// higher-priority advert send one advert of its own before it steps down.
	HigherPrioSendAdvert bool
	// McastGroup4 / McastGroup6 are vrrp_mcast_group4 / 6, the multicast groups adverts go
	// to and are received on (224.0.0.18 and ff02::12).
	McastGroup4, McastGroup6 netip.Addr
	// RTPriority is vrrp_rt_priority: the advert path runs SCHED_RR at this priority
	// (1..99); 0 leaves it SCHED_OTHER.
	RTPriority int
	// Nice is vrrp_priority: the advert path's nice value (-20..19); HasNice says it is set.
	Nice    int
	HasNice bool
	// GarpGroups are the garp_group blocks (garp_group.go).
	GarpGroups []GarpGroup
}

// InstanceTiming holds a vrrp_instance's timing keywords, the global ones applied.
type InstanceTiming struct {
	GarpInterval, GnaInterval time.Duration // garp_interval / gna_interval (halvs: this instance's own, on top of the interface's)
	GarpLowerPrioRepeat       int           // garp_lower_prio_repeat
	GarpLowerPrioDelay        time.Duration // garp_lower_prio_delay
	LowerPrioNoAdvert         bool          // lower_prio_no_advert
	HigherPrioSendAdvert      bool          // higher_prio_send_advert
}

// keepalived's defaults (global_data.c: INADDR_VRRP_GROUP, INADDR6_VRRP_GROUP).
var (
	DefaultMcastGroup4 = netip.MustParseAddr("224.0.0.18")
	DefaultMcastGroup6 = netip.MustParseAddr("ff02::12")
)

// MaxRTPriority is the highest SCHED_RR priority Linux offers (sched_get_priority_max).
const MaxRTPriority = 99

func defaultGlobalTiming() GlobalTiming {
	return GlobalTiming{McastGroup4: DefaultMcastGroup4, McastGroup6: DefaultMcastGroup6,
		GarpLowerPrioRepeat: 5, GarpLowerPrioDelay: 5 * time.Second}
}

var globalTimingAttrs = []string{"vrrp_startup_delay", "vrrp_garp_interval", "vrrp_gna_interval",
	"vrrp_garp_lower_prio_repeat", "vrrp_garp_lower_prio_delay", "vrrp_lower_prio_no_advert",
	"vrrp_higher_prio_send_advert", "vrrp_mcast_group4", "vrrp_mcast_group6", "vrrp_rt_priority", "vrrp_priority"}

// globalTiming reads global's timing keywords; g's garp_master settings are read already.
func (b *block) globalTiming(g *Global) {
	t := g.Timing
	// keepalived: unset, they are the master burst's (vrrp.c, vrrp_complete_init).
	t.GarpLowerPrioRepeat, t.GarpLowerPrioDelay = g.VRRPGarpMasterRepeat, g.VRRPGarpMasterDelay
	b.duration("vrrp_startup_delay", &t.StartupDelay)
	b.garpInterval("vrrp_garp_interval", &t.GarpInterval)
	b.garpInterval("vrrp_gna_interval", &t.GnaInterval)
	b.integer("vrrp_garp_lower_prio_repeat", &t.GarpLowerPrioRepeat, 0, 1<<31-1)
	b.wholeSeconds("vrrp_garp_lower_prio_delay", &t.GarpLowerPrioDelay)
	b.boolean("vrrp_lower_prio_no_advert", &t.LowerPrioNoAdvert)
	b.boolean("vrrp_higher_prio_send_advert", &t.HigherPrioSendAdvert)
	b.mcastGroup("vrrp_mcast_group4", IPv4, &t.McastGroup4)
	b.mcastGroup("vrrp_mcast_group6", IPv6, &t.McastGroup6)
	b.integer("vrrp_rt_priority", &t.RTPriority, 1, MaxRTPriority)
	t.HasNice = b.integer("vrrp_priority", &t.Nice, -20, 19)
	t.GarpGroups = b.garpGroups()
	g.Timing = t
}

var instanceTimingAttrs = []string{"garp_interval", "gna_interval", "garp_lower_prio_repeat",
	"garp_lower_prio_delay", "lower_prio_no_advert", "higher_prio_send_advert", "mcast_src_ip"}

// instanceTiming reads a vrrp_instance's timing keywords over the global defaults, and
// mcast_src_ip, keepalived's other name for unicast_src_ip.
func (b *block) instanceTiming(vi *VRRPInstance, g Global) {
	// garp_interval / gna_interval are the instance's own (halvs); the global ones pace each
	// interface for all instances (garp_group.go), so they are not copied here.
	t := InstanceTiming{
		GarpLowerPrioRepeat: g.Timing.GarpLowerPrioRepeat, GarpLowerPrioDelay: g.Timing.GarpLowerPrioDelay,
		LowerPrioNoAdvert: g.Timing.LowerPrioNoAdvert, HigherPrioSendAdvert: g.Timing.HigherPrioSendAdvert,
	}
	b.garpInterval("garp_interval", &t.GarpInterval)
	b.garpInterval("gna_interval", &t.GnaInterval)
	b.integer("garp_lower_prio_repeat", &t.GarpLowerPrioRepeat, 0, 1<<31-1)
	b.wholeSeconds("garp_lower_prio_delay", &t.GarpLowerPrioDelay)
	b.boolean("lower_prio_no_advert", &t.LowerPrioNoAdvert)
	b.boolean("higher_prio_send_advert", &t.HigherPrioSendAdvert)
	vi.Timing = t
	if name := b.synonym("unicast_src_ip", "mcast_src_ip"); name == "mcast_src_ip" {
		var src string
		if b.str(name, &src) {
			a, err := parseAddr(src)
			if err != nil {
				b.errorf(name, "%s: %v", name, err)
			}
			vi.UnicastSrcIP = a
		}
	}
}

// accept reads accept: true (keepalived's default) is what halvs does; false (no_accept)
// is refused, since it would drop the traffic an LVS director exists to forward.
func (b *block) accept() {
	var accept bool
	if b.boolean("accept", &accept) && !accept {
		b.errorf("accept", "accept = false (keepalived's no_accept) is not supported: keepalived enforces it with firewall rules that drop all traffic to the VIPs on the MASTER, and IPVS on a director must receive that traffic to forward it; remove the line (accept = true is the default)")
	}
}

func (b *block) garpInterval(name string, dst *time.Duration) {
	if b.duration(name, dst) && *dst >= time.Second {
		b.warnf(name, "%s %v is very large: announcements on the interface go out this far apart (keepalived warns too)", name, *dst)
	}
}

// wholeSeconds reads a duration keepalived takes as whole seconds.
func (b *block) wholeSeconds(name string, dst *time.Duration) {
	var d time.Duration
	if b.duration(name, &d) {
		if d%time.Second != 0 {
			b.errorf(name, "%s %v must be whole seconds (keepalived reads an integer)", name, d)
			return
		}
		*dst = d
	}
}

func (b *block) mcastGroup(name string, f Family, dst *netip.Addr) {
	var s string
	if !b.str(name, &s) {
		return
	}
	a, err := parseAddr(s)
	switch {
	case err != nil:
		b.errorf(name, "%s: %v", name, err)
	case familyOf(a) != f:
		b.errorf(name, "%s %s is not an %s address", name, a, f)
	case !a.IsMulticast():
		b.errorf(name, "%s %s is not a multicast address", name, a)
	default:
		*dst = a
	}
}
