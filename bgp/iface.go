package bgp

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"strconv"
	"strings"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// Addresses keeps the announced addresses on the bgp interface: halvs' dummy interface, or
// lo. The director implements it over its record of the addresses halvs added (vrrp.Ledger),
// so that a start after a crash removes what the crashed run left.
type Addresses interface {
	// Set makes the interface hold exactly list of the addresses halvs put there, creating
	// the dummy interface when it is missing.
	Set(name string, list []netip.Prefix) error
	// Remove takes every address halvs put on the interface away, and deletes halvs' dummy.
	Remove(name string) error
}

// ErrForeignInterface says that the bgp interface exists and is not halvs' dummy.
var ErrForeignInterface = errors.New("exists and was not created by halvs; name another bgp interface")

// ownerAlias marks the dummy interface as halvs': the kernel keeps the record, so a start
// after a crash finds its own interface (and cleans its addresses) and never touches
// another's.
const ownerAlias = "halvs bgp_announce addresses"

// Loopback is the interface name that needs no dummy: addresses go on lo itself.
const Loopback = "lo"

// Dummies creates and removes halvs' dummy interface through netlink.
type Dummies struct {
	h *netlink.Handle
	// sysctlDir is /proc/sys, where the ARP settings are written.
	sysctlDir string
}

// NewDummies opens a netlink handle in the calling thread's network namespace.
func NewDummies() (*Dummies, error) {
	h, err := netlink.NewHandle(unix.NETLINK_ROUTE)
	if err != nil {
		return nil, err
	}
	return &Dummies{h: h, sysctlDir: "/proc/sys"}, nil
}

// Close releases the netlink handle.
func (n *Dummies) Close() error {
	n.h.Close()
	return nil
}

// Ensure creates the dummy interface name (up, marked as halvs') when it is missing, and
// raises net.ipv4.conf.all.arp_ignore to 1 and arp_announce to 2, as a real server in DR mode
// has them, so that no interface answers ARP for the addresses put there. lo is not created
// but gets the same ARP settings. An interface of that name that halvs did not create is
// refused (ErrForeignInterface).
func (n *Dummies) Ensure(name string) error {
	if name != Loopback {
		if _, err := n.own(name, true); err != nil {
			return err
		}
	}
	return n.quietARP()
}

// Remove deletes halvs' dummy interface name, with whatever addresses it still has; a
// missing one, and lo, are left alone.
func (n *Dummies) Remove(name string) error {
	if name == Loopback {
		return nil
	}
	link, err := n.own(name, false)
	if err != nil || link == nil {
		return err
	}
	return n.h.LinkDel(link)
}

// own returns halvs' dummy interface name, creating it when create is set; nil when it is
// missing and create is not.
func (n *Dummies) own(name string, create bool) (netlink.Link, error) {
	link, err := n.h.LinkByName(name)
	var nf netlink.LinkNotFoundError
	switch {
	case errors.As(err, &nf):
		if !create {
			return nil, nil
		}
		d := &netlink.Dummy{LinkAttrs: netlink.LinkAttrs{Name: name}}
		if err := n.h.LinkAdd(d); err != nil {
			if errors.Is(err, unix.EOPNOTSUPP) {
				return nil, fmt.Errorf("create dummy interface: %w (this kernel has no dummy driver: set bgp interface = \"lo\")", err)
			}
			return nil, fmt.Errorf("create dummy interface: %w", err)
		}
		if link, err = n.h.LinkByName(name); err != nil {
			return nil, err
		}
		if err := n.h.LinkSetAlias(link, ownerAlias); err != nil {
			n.h.LinkDel(link)
			return nil, fmt.Errorf("mark dummy interface: %w", err)
		}
		if err := n.h.LinkSetUp(link); err != nil {
			return nil, fmt.Errorf("set dummy interface up: %w", err)
		}
		return link, nil
	case err != nil:
		return nil, err
	}
	if link.Type() != "dummy" || link.Attrs().Alias != ownerAlias {
		return nil, ErrForeignInterface
	}
	if link.Attrs().Flags&net.FlagUp == 0 {
		if err := n.h.LinkSetUp(link); err != nil {
			return nil, fmt.Errorf("set dummy interface up: %w", err)
		}
	}
	return link, nil
}

// quietARP raises arp_ignore and arp_announce on "all" (the kernel uses the larger of all's
// and each interface's value), never lowering what the host has.
func (n *Dummies) quietARP() error {
	for _, s := range []struct {
		key string
		min int
	}{{"net/ipv4/conf/all/arp_ignore", 1}, {"net/ipv4/conf/all/arp_announce", 2}} {
		p := n.sysctlDir + "/" + s.key
		b, err := os.ReadFile(p)
		if err != nil {
			return fmt.Errorf("read %s: %w", s.key, err)
		}
		if v, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil && v >= s.min {
			continue
		}
		if err := os.WriteFile(p, []byte(strconv.Itoa(s.min)), 0o644); err != nil {
			return fmt.Errorf("set %s=%d (so that ARP never answers for the announced addresses): %w", s.key, s.min, err)
		}
	}
	return nil
}
