package vrrp

import (
	"fmt"
	"net/netip"
	"time"
)

// InstanceTiming is an instance's keepalived timing keywords. The zero value is
// keepalived's default behaviour.
type InstanceTiming struct {
	// LowerPrioNoAdvert and HigherPrioSendAdvert: see MachineConfig.
	LowerPrioNoAdvert    bool
	HigherPrioSendAdvert bool
	// GARPLowerPrioRepeat is garp_lower_prio_repeat: announcements per VIP when a MASTER
	// receives a lower-priority advert (another master claimed the VIPs). 0 means
	// GARPRepeat; negative means none.
	GARPLowerPrioRepeat int
	// GARPLowerPrioDelay is garp_lower_prio_delay: a second such burst this long after the
	// first. 0 means GARPDelay; negative means none.
	GARPLowerPrioDelay time.Duration
	// GARPInterval and GNAInterval are garp_interval / gna_interval: the least time between
	// two gratuitous ARPs (unsolicited NAs) the instance sends on one interface.
	GARPInterval, GNAInterval time.Duration
	// McastGroup is vrrp_mcast_group4 / 6: the group multicast adverts go to and are
	// received on. Zero means MulticastIPv4 / MulticastIPv6.
	McastGroup netip.Addr
}

// group is the multicast group of the instance's family.
func (c InstanceConfig) group() netip.Addr {
	if c.Timing.McastGroup.IsValid() {
		return c.Timing.McastGroup
	}
	if c.IPv6() {
		return MulticastIPv6
	}
	return MulticastIPv4
}

// keyGroup is the group for a TransportKey: zero for the standard one, so that instances
// that name it and those that do not share a Transport.
func (c InstanceConfig) keyGroup() netip.Addr {
	if g := c.group(); g != MulticastIPv4 && g != MulticastIPv6 {
		return g
	}
	return netip.Addr{}
}

// transportGroup checks a Transport's group, zero meaning the standard one.
func transportGroup(family AddrFamily, g netip.Addr) (netip.Addr, error) {
	if !g.IsValid() {
		if family == FamilyIPv6 {
			return MulticastIPv6, nil
		}
		return MulticastIPv4, nil
	}
	if g = g.Unmap(); !g.IsMulticast() || g.Is4() != (family == FamilyIPv4) || g.Zone() != "" {
		return netip.Addr{}, fmt.Errorf("multicast group %s is not an %s multicast address", g, family)
	}
	return g, nil
}

func (c InstanceConfig) validateTiming() error {
	t := c.Timing
	if t.McastGroup.IsValid() {
		if !t.McastGroup.IsMulticast() || t.McastGroup.Is6() != c.IPv6() {
			return fmt.Errorf("vrrp_mcast_group %v is not a multicast address of the VIPs' family", t.McastGroup)
		}
	}
	if t.GARPInterval < 0 || t.GNAInterval < 0 {
		return fmt.Errorf("negative garp_interval or gna_interval")
	}
	return nil
}

// lowerPrio returns the burst size and second-burst delay for a lower-priority advert.
func (g garpSettings) lowerPrio() (repeat int, delay time.Duration) {
	repeat, delay = g.lowerRepeat, g.lowerDelay
	if repeat == 0 {
		repeat = g.repeat
	}
	if delay == 0 {
		delay = g.delay
	}
	return max(repeat, 0), delay
}

// lowerPrioAnnounce is keepalived's answer to a lower-priority advert, besides its own
// advert: garp_lower_prio_repeat announcements now and, after garp_lower_prio_delay, again
// (vrrp.c, vrrp_state_master_rx). The second burst belongs to this MASTER period.
func (i *Instance) lowerPrioAnnounce() {
	repeat, delay := i.garp().lowerPrio()
	if repeat == 0 {
		return
	}
	i.kernel.do(func() { i.owner.reannounce(repeat) })
	if delay <= 0 {
		return
	}
	i.ann.mu.Lock()
	gen := i.ann.gen
	i.ann.mu.Unlock()
	i.deps.Clock.AfterFunc(delay, func() {
		i.kernel.do(func() {
			if i.annCurrent(gen) {
				i.owner.reannounce(repeat)
			}
		})
	})
}

// startupWait is how long vrrp_startup_delay still holds the instance in INIT.
func (i *Instance) startupWait() time.Duration {
	if i.deps.startupUntil.IsZero() {
		return 0
	}
	return i.deps.startupUntil.Sub(i.deps.Clock.Now())
}
