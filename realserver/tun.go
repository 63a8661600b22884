package realserver

import (
	"fmt"
	"net"
	"net/netip"
	"slices"

	"github.com/vishvananda/netlink"
)

// tunDev is the ipip module's fallback tunnel: it receives IP-in-IP packets from any source,
// as an LVS-TUN director sends them, and has no ARP.
const tunDev = "tunl0"

// tunSysctls are what UpTUN may set beyond Sysctls: the decapsulated packets arrive on tunl0
// with the client's address as source, which this host routes out another interface, so
// strict reverse-path filtering drops them. The kernel uses the larger of "all" and the
// interface's value: "all" is lowered only when it is strict (1), loose (2) passes them.
var tunSysctls = []Sysctl{
	{"net.ipv4.conf." + tunDev + ".rp_filter", "0"},
	{"net.ipv4.conf.all.rp_filter", "0"},
}

// tunState is what UpTUN did to tunl0, for Down.
type tunState struct {
	VIPs    []netip.Prefix `json:"vips,omitempty"`    // added to tunl0 by halvs
	SetUp   bool           `json:"set_up,omitempty"`  // halvs brought tunl0 up
	Created bool           `json:"created,omitempty"` // halvs created tunl0 (no fallback device)
}

func (t tunState) isZero() bool { return len(t.VIPs) == 0 && !t.SetUp && !t.Created }

// validateTUN: tunl0 carries IPv4 in IPv4 only.
func validateTUN(vips []netip.Addr) error {
	for _, v := range vips {
		if !v.Unmap().Is4() {
			return fmt.Errorf("VIP %s: --tun is IPv4 only (%s is an IPv4-in-IPv4 tunnel)", v, tunDev)
		}
	}
	return nil
}

// tunUp makes sure tunl0 exists and is up, recording in st what it changed and how to undo
// it, and returns the sysctls UpTUN sets.
func (h *Host) tunUp(st *state, undo *[]func() error) (changes []string, sysctls []Sysctl, err error) {
	link, err := h.nl.LinkByName(tunDev)
	if err != nil {
		// Creating an ipip device loads the ipip module, whose fallback tunl0 then exists
		// (and this add fails with EEXIST); where fallback devices are disabled the add
		// creates tunl0 itself.
		addErr := h.nl.LinkAdd(&netlink.Iptun{LinkAttrs: netlink.LinkAttrs{Name: tunDev}})
		if link, err = h.nl.LinkByName(tunDev); err != nil {
			if addErr != nil {
				err = addErr
			}
			return nil, nil, fmt.Errorf("realserver: no %s, and it cannot be created (is the ipip module available? modprobe ipip): %w", tunDev, err)
		}
		if addErr == nil {
			st.TUN.Created = true
			*undo = append(*undo, func() error { st.TUN.Created = false; return h.nl.LinkDel(link) })
			changes = append(changes, "created "+tunDev)
		}
	}
	if link.Attrs().Flags&net.FlagUp == 0 {
		if err := h.nl.LinkSetUp(link); err != nil {
			return changes, nil, fmt.Errorf("realserver: set %s up: %w", tunDev, err)
		}
		st.TUN.SetUp = true
		*undo = append(*undo, func() error { st.TUN.SetUp = false; return h.nl.LinkSetDown(link) })
		changes = append(changes, "set "+tunDev+" up")
	}
	sysctls = append(slices.Clone(Sysctls), tunSysctls[0])
	all, err := h.readSysctl(tunSysctls[1].Key)
	if err != nil {
		return changes, nil, err
	}
	if all == "1" {
		sysctls = append(sysctls, tunSysctls[1])
	}
	return changes, sysctls, nil
}

// tunDown undoes what tunUp recorded, once no VIP is left on tunl0: a tunl0 halvs brought
// up goes down, one it created is removed.
func (h *Host) tunDown(t *tunState) (changes []string, err error) {
	if len(t.VIPs) > 0 || !t.SetUp && !t.Created {
		return nil, nil
	}
	link, err := h.nl.LinkByName(tunDev)
	if err != nil {
		*t = tunState{} // gone already (the module unloaded)
		return nil, nil
	}
	if t.Created {
		if err := h.nl.LinkDel(link); err != nil {
			return nil, fmt.Errorf("realserver: remove %s: %w", tunDev, err)
		}
		*t = tunState{}
		return []string{"removed " + tunDev}, nil
	}
	if err := h.nl.LinkSetDown(link); err != nil {
		return nil, fmt.Errorf("realserver: set %s down: %w", tunDev, err)
	}
	*t = tunState{}
	return []string{"set " + tunDev + " down"}, nil
}
