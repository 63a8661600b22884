package realserver

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"slices"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// Defaults for Paths.
const (
	DefaultProcSys   = "/proc/sys"
	DefaultSysctlDir = "/etc/sysctl.d"
	DefaultStateFile = "/var/lib/halvs/realserver.json"
	// SysctlFile is the name Up --persist writes in the sysctl directory; the 90- prefix
	// orders it after the distribution's files so its values win at boot.
	SysctlFile = "90-halvs-realserver.conf"
	// Label marks the VIPs halvs put on lo (IPv4 only; IPv6 has no labels).
	Label = "lo:halvs"
)

// Paths are where a Host reads and writes; the zero value means the defaults.
type Paths struct {
	ProcSys   string // the sysctl tree of the network namespace to change
	SysctlDir string // where --persist writes SysctlFile
	StateFile string // what Up did, for Down; kept across reboots
}

func (p Paths) withDefaults() Paths {
	if p.ProcSys == "" {
		p.ProcSys = DefaultProcSys
	}
	if p.SysctlDir == "" {
		p.SysctlDir = DefaultSysctlDir
	}
	if p.StateFile == "" {
		p.StateFile = DefaultStateFile
	}
	return p
}

// Sysctl is one kernel setting DR needs, as a dotted key.
type Sysctl struct {
	Key   string // "net.ipv4.conf.all.arp_ignore"
	Value string
}

// Sysctls are the settings of the LVS-DR real-server recipe: reply to ARP only for addresses
// on the receiving interface (arp_ignore=1) and never use a lo address as ARP source
// (arp_announce=2). The kernel takes the maximum of "all" and the interface's value, so "all"
// covers every NIC; lo is set as the recipe does.
var Sysctls = []Sysctl{
	{"net.ipv4.conf.all.arp_ignore", "1"},
	{"net.ipv4.conf.lo.arp_ignore", "1"},
	{"net.ipv4.conf.all.arp_announce", "2"},
	{"net.ipv4.conf.lo.arp_announce", "2"},
}

// state is what Up changed, so that Down reverts that alone.
type state struct {
	VIPs      []netip.Prefix    `json:"vips"`                // added to lo by halvs
	Sysctls   map[string]string `json:"sysctls"`             // key → value before halvs set it
	Persisted string            `json:"persisted,omitempty"` // the sysctl.d file halvs wrote
	TUN       tunState          `json:"tun,omitzero"`        // what up --tun did to tunl0
}

// Host changes the network namespace that the calling OS thread is in (netlink and /proc/sys
// both resolve against it). Methods must not be called concurrently.
type Host struct {
	paths Paths
	nl    *netlink.Handle
}

// Open returns a Host for the current network namespace.
func Open(p Paths) (*Host, error) {
	h, err := netlink.NewHandle(unix.NETLINK_ROUTE)
	if err != nil {
		return nil, fmt.Errorf("realserver: netlink: %w", err)
	}
	return &Host{paths: p.withDefaults(), nl: h}, nil
}

// Close releases the netlink socket.
func (h *Host) Close() { h.nl.Close() }

// ValidateVIPs checks the addresses given on the command line.
func ValidateVIPs(vips []netip.Addr) error {
	if len(vips) == 0 {
		return errors.New("give at least one --vip ADDR (the virtual server's address)")
	}
	for _, v := range vips {
		switch {
		case !v.IsValid() || v.IsUnspecified():
			return fmt.Errorf("VIP %v is not an address", v)
		case v.IsLoopback(), v.IsMulticast(), v.IsLinkLocalUnicast():
			return fmt.Errorf("VIP %s cannot be a virtual server address (loopback, multicast or link-local)", v)
		case v.Zone() != "":
			return fmt.Errorf("VIP %s must not have a zone", v)
		}
	}
	return nil
}

// hostPrefix is the VIP as a host route: /32 or /128.
func hostPrefix(a netip.Addr) netip.Prefix {
	a = a.Unmap()
	return netip.PrefixFrom(a, a.BitLen())
}

// Up adds each VIP to lo, sets Sysctls and, with persist, writes SysctlFile. It returns one
// line per change made (nothing for what was already in place). On error everything done by
// this call is undone.
func (h *Host) Up(vips []netip.Addr, persist bool) (changes []string, err error) {
	return h.up(vips, persist, false)
}

// UpTUN prepares an LVS-TUN real server as Up does a DR one, with the VIPs (IPv4 only) on
// tunl0 instead of lo: tunl0 is created (the ipip module) when missing and set up, and its
// rp_filter set to 0, with net.ipv4.conf.all.rp_filter too when that one is strict (1).
func (h *Host) UpTUN(vips []netip.Addr, persist bool) (changes []string, err error) {
	return h.up(vips, persist, true)
}

func (h *Host) up(vips []netip.Addr, persist, tun bool) (changes []string, err error) {
	if err := ValidateVIPs(vips); err != nil {
		return nil, err
	}
	if tun {
		if err := validateTUN(vips); err != nil {
			return nil, err
		}
	}
	st, err := h.load()
	if err != nil {
		return nil, err
	}
	var undo []func() error
	defer func() {
		if err != nil {
			for i := len(undo) - 1; i >= 0; i-- {
				_ = undo[i]()
			}
			changes = nil
		}
	}()
	dev, added, wanted := "lo", &st.VIPs, Sysctls
	if tun {
		dev, added = tunDev, &st.TUN.VIPs
		var c []string
		c, wanted, err = h.tunUp(st, &undo)
		changes = append(changes, c...)
		if err != nil {
			return nil, err
		}
	}
	link, err := h.nl.LinkByName(dev)
	if err != nil {
		return nil, fmt.Errorf("realserver: %s: %w", dev, err)
	}
	for _, v := range vips {
		p := hostPrefix(v)
		has, err := h.hasAddr(link, p)
		if err != nil {
			return nil, err
		}
		if has {
			continue
		}
		if err := h.nl.AddrAdd(link, vipAddr(dev, p)); err != nil {
			return nil, fmt.Errorf("realserver: add %s to %s: %w", p, dev, err)
		}
		undo = append(undo, func() error { return h.nl.AddrDel(link, vipAddr(dev, p)) })
		*added = append(*added, p)
		changes = append(changes, fmt.Sprintf("added %s to %s", p, dev))
	}
	for _, s := range wanted {
		old, err := h.readSysctl(s.Key)
		if err != nil {
			return nil, err
		}
		if old == s.Value {
			continue
		}
		if err := h.writeSysctl(s.Key, s.Value); err != nil {
			return nil, err
		}
		undo = append(undo, func() error { return h.writeSysctl(s.Key, old) })
		if _, seen := st.Sysctls[s.Key]; !seen {
			st.Sysctls[s.Key] = old
		}
		changes = append(changes, fmt.Sprintf("set %s = %s (was %s)", s.Key, s.Value, old))
	}
	if persist {
		path := filepath.Join(h.paths.SysctlDir, SysctlFile)
		note := slices.Clone(*added)
		for _, v := range vips {
			if p := hostPrefix(v); !slices.Contains(note, p) {
				note = append(note, p)
			}
		}
		if err := os.WriteFile(path, []byte(sysctlConf(note, tun)), 0o644); err != nil {
			return nil, fmt.Errorf("realserver: persist: %w", err)
		}
		if st.Persisted == "" {
			undo = append(undo, func() error { return os.Remove(path) })
		}
		st.Persisted = path
		changes = append(changes, "wrote "+path)
	}
	if err := h.save(st); err != nil {
		return nil, err
	}
	return changes, nil
}

// Down reverts what Up recorded: it removes the VIPs halvs added (all of them, or those in
// vips when given), and once no recorded VIP is left it restores each sysctl whose value is
// still the one Up set (a value someone changed since is left alone and reported) and
// removes the persisted file. It never touches addresses or settings halvs did not change.
func (h *Host) Down(vips []netip.Addr) (changes []string, err error) {
	for _, v := range vips {
		if err := ValidateVIPs([]netip.Addr{v}); err != nil {
			return nil, err
		}
	}
	st, err := h.load()
	if err != nil {
		return nil, err
	}
	want := map[netip.Prefix]bool{}
	for _, v := range vips {
		want[hostPrefix(v)] = true
	}
	for p := range want {
		if !slices.Contains(st.VIPs, p) && !slices.Contains(st.TUN.VIPs, p) {
			changes = append(changes, fmt.Sprintf("left %s alone: halvs did not add it", p))
		}
	}
	for _, d := range []struct {
		dev  string
		vips *[]netip.Prefix
	}{{"lo", &st.VIPs}, {tunDev, &st.TUN.VIPs}} {
		if len(*d.vips) == 0 {
			continue
		}
		var kept []netip.Prefix
		kept, changes, err = h.removeVIPs(d.dev, *d.vips, want, changes)
		*d.vips = kept
		if err != nil {
			return changes, err
		}
	}
	kept := append(slices.Clone(st.VIPs), st.TUN.VIPs...)
	if len(kept) == 0 {
		for _, s := range append(slices.Clone(Sysctls), tunSysctls...) {
			old, ok := st.Sysctls[s.Key]
			if !ok {
				continue
			}
			cur, err := h.readSysctl(s.Key)
			if err != nil {
				return changes, err
			}
			if cur != s.Value {
				changes = append(changes, fmt.Sprintf("left %s = %s alone: changed since halvs set it to %s", s.Key, cur, s.Value))
			} else {
				if err := h.writeSysctl(s.Key, old); err != nil {
					return changes, err
				}
				changes = append(changes, fmt.Sprintf("restored %s = %s", s.Key, old))
			}
			delete(st.Sysctls, s.Key)
		}
		if st.Persisted != "" {
			if err := os.Remove(st.Persisted); err != nil && !errors.Is(err, os.ErrNotExist) {
				return changes, fmt.Errorf("realserver: %w", err)
			}
			changes = append(changes, "removed "+st.Persisted)
			st.Persisted = ""
		}
		c, err := h.tunDown(&st.TUN)
		changes = append(changes, c...)
		if err != nil {
			return changes, err
		}
	} else if st.Persisted != "" {
		if err := os.WriteFile(st.Persisted, []byte(sysctlConf(kept, len(st.TUN.VIPs) > 0)), 0o644); err != nil {
			return changes, fmt.Errorf("realserver: %w", err)
		}
	}
	return changes, h.save(st)
}

// removeVIPs removes from dev the VIPs halvs added there (those in want, or all when want is
// empty) and returns the ones kept.
func (h *Host) removeVIPs(dev string, added []netip.Prefix, want map[netip.Prefix]bool, changes []string) ([]netip.Prefix, []string, error) {
	var kept []netip.Prefix
	link, err := h.nl.LinkByName(dev)
	if err != nil {
		return added, changes, fmt.Errorf("realserver: %s: %w", dev, err)
	}
	for i, p := range added {
		if len(want) > 0 && !want[p] {
			kept = append(kept, p)
			continue
		}
		has, err := h.hasAddr(link, p)
		if err != nil {
			return append(kept, added[i:]...), changes, err
		}
		if has {
			if err := h.nl.AddrDel(link, vipAddr(dev, p)); err != nil {
				return append(kept, added[i:]...), changes, fmt.Errorf("realserver: remove %s from %s: %w", p, dev, err)
			}
			changes = append(changes, fmt.Sprintf("removed %s from %s", p, dev))
		}
	}
	return kept, changes, nil
}

// vipAddr is p as halvs adds it to dev: IPv4 with the label dev:halvs (lo:halvs).
func vipAddr(dev string, p netip.Prefix) *netlink.Addr {
	a := &netlink.Addr{IPNet: &net.IPNet{IP: p.Addr().AsSlice(), Mask: net.CIDRMask(p.Bits(), p.Addr().BitLen())}}
	if p.Addr().Is4() {
		a.Label = dev + ":halvs"
	}
	return a
}

func (h *Host) hasAddr(lo netlink.Link, p netip.Prefix) (bool, error) {
	fam := netlink.FAMILY_V4
	if p.Addr().Is6() {
		fam = netlink.FAMILY_V6
	}
	addrs, err := h.nl.AddrList(lo, fam)
	if err != nil {
		return false, fmt.Errorf("realserver: addresses of lo: %w", err)
	}
	for _, a := range addrs {
		if ip, ok := netip.AddrFromSlice(a.IP); ok && ip.Unmap() == p.Addr() {
			return true, nil
		}
	}
	return false, nil
}
