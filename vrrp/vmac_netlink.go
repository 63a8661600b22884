package vrrp

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"slices"
	"sync"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// VMACs is the VMACManager over rtnetlink. It records each VMAC before creating it, and
// the base interface's arp_ignore / arp_filter before changing them, in a JSON file that
// outlives the process (as Ledger records the VIPs), so that the next start removes a VMAC a
// crash left and restores the base's settings, and never touches an interface halvs did not
// create. A VMAC on record that exists at CreateVMAC is made again (deleted and created), so
// it has exactly the settings asked for.
//
// VMACs is safe for concurrent use.
type VMACs struct {
	h      *netlink.Handle
	own    bool // h was made by OpenVMACs
	sysctl Sysctl
	path   string // "" keeps the record in memory
	log    *slog.Logger

	mu  sync.Mutex
	rec vmacFile
}

var _ VMACManager = (*VMACs)(nil)

// vmacFile is the record's format on disk.
type vmacFile struct {
	VMACs []VMAC `json:"vmacs"`
	// Bases are the base interfaces whose arp_ignore / arp_filter halvs changed, with the
	// values to restore when their last VMAC goes.
	Bases []vmacBase `json:"bases"`
}

type vmacBase struct {
	Dev   string            `json:"dev"`
	Saved map[string]string `json:"saved"` // sysctl name → the value before halvs
}

// OpenVMACs returns a VMACs working through h (nil: a handle of the calling thread's network
// namespace, which Close releases) and sysctl (nil: ProcSysctl), with the record in the file at
// path ("" keeps it in memory). A record that cannot be read or parsed is an error, as for the
// VIP record. log is slog.Default when nil.
func OpenVMACs(path string, h *netlink.Handle, sysctl Sysctl, log *slog.Logger) (*VMACs, error) {
	if log == nil {
		log = slog.Default()
	}
	if sysctl == nil {
		sysctl = ProcSysctl{}
	}
	own := h == nil
	if own {
		var err error
		if h, err = netlink.NewHandle(unix.NETLINK_ROUTE); err != nil {
			return nil, fmt.Errorf("vrrp: VMACs: %w", err)
		}
	}
	m := &VMACs{h: h, own: own, sysctl: sysctl, path: path, log: log}
	fail := func(err error) (*VMACs, error) {
		if own {
			h.Close()
		}
		return nil, err
	}
	if path == "" {
		return m, nil
	}
	b, found, err := readRecord(path)
	switch {
	case err != nil:
		return fail(fmt.Errorf("vrrp: VMAC record: %w", err))
	case !found:
		if err := m.persist(); err != nil {
			return fail(err)
		}
		return m, nil
	}
	if err := json.Unmarshal(b, &m.rec); err != nil {
		return fail(fmt.Errorf("vrrp: VMAC record %s is not valid (%v); if no halvs runs, delete the interfaces it lists by hand, then the file", path, err))
	}
	for _, v := range m.rec.VMACs {
		if CheckLinkName(v.Name) != nil || v.Base == "" {
			return fail(fmt.Errorf("vrrp: VMAC record %s lists an entry without a valid name or base", path))
		}
	}
	return m, nil
}

// Close releases the netlink handle if OpenVMACs made it.
func (m *VMACs) Close() error {
	if m.own {
		m.h.Close()
	}
	return nil
}

// Recorded returns the VMACs on record.
func (m *VMACs) Recorded() []VMAC {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.rec.VMACs)
}

func (m *VMACs) recorded(name string) (VMAC, bool) {
	i := slices.IndexFunc(m.rec.VMACs, func(r VMAC) bool { return r.Name == name })
	if i < 0 {
		return VMAC{}, false
	}
	return m.rec.VMACs[i], true
}

// CreateVMAC makes v: a private macvlan on v.Base with v's virtual MAC, IPv6 address
// generation off, keepalived's sysctls on it and on the base, up, and for IPv6 the base's
// link-local address on it too (adverts leave from the VMAC with that source, as keepalived
// sends them). An interface named v.Name that halvs did not create is ErrNotOurVMAC.
func (m *VMACs) CreateVMAC(v VMAC) error {
	if err := v.Validate(); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	base, err := m.h.LinkByName(v.Base)
	if err != nil {
		return fmt.Errorf("vrrp: use_vmac %s: base interface %s: %w", v.Name, v.Base, err)
	}
	if old, err := m.h.LinkByName(v.Name); err == nil {
		if _, ours := m.recorded(v.Name); !ours {
			return fmt.Errorf("vrrp: use_vmac %s: %w", v.Name, ErrNotOurVMAC)
		}
		m.log.Info("removing a VMAC left by an earlier run, to make it again", "vmac", v.Name)
		if err := m.h.LinkDel(old); err != nil && !errors.Is(err, unix.ENODEV) {
			return fmt.Errorf("vrrp: delete VMAC %s: %w", v.Name, err)
		}
	}
	if err := m.record(v); err != nil {
		return err
	}
	mv := &netlink.Macvlan{
		LinkAttrs: netlink.LinkAttrs{Name: v.Name, ParentIndex: base.Attrs().Index, HardwareAddr: v.HardwareAddr(),
			Group: base.Attrs().Group}, // as keepalived: firewall rules on the group keep matching
		Mode: netlink.MACVLAN_MODE_PRIVATE,
	}
	if err := m.h.LinkAdd(mv); err != nil {
		m.forget(v)
		return fmt.Errorf("vrrp: create VMAC %s on %s: %w", v.Name, v.Base, err)
	}
	link, err := m.h.LinkByName(v.Name)
	if err == nil {
		err = m.configure(v, base, link)
	}
	if err != nil {
		_ = m.h.LinkDel(mv)
		m.forget(v)
		return fmt.Errorf("vrrp: set up VMAC %s: %w", v.Name, err)
	}
	m.log.Info("created VMAC", "vmac", v.Name, "base", v.Base, "mac", v.HardwareAddr().String())
	return nil
}

// configure does the rest of CreateVMAC on the new link, in keepalived's order: address
// generation off before the link is up (so it never gets a link-local address of its own),
// the sysctls, up, then the IPv6 source address.
func (m *VMACs) configure(v VMAC, base, link netlink.Link) error {
	if err := m.h.LinkSetIP6AddrGenMode(link, 1); err != nil { // IN6_ADDR_GEN_MODE_NONE
		return fmt.Errorf("addrgenmode none: %w", err)
	}
	for _, kv := range vmacSysctls(v) {
		if err := m.sysctl.Set(kv[0], kv[1]); err != nil {
			return fmt.Errorf("sysctl %s=%s: %w", kv[0], kv[1], err)
		}
	}
	if !v.IPv6 {
		if err := m.setBase(v.Base); err != nil {
			return err
		}
		if all, err := m.sysctl.Get("net/ipv4/conf/all/rp_filter"); err == nil && all != "0" {
			m.log.Warn("net.ipv4.conf.all.rp_filter is not 0, so the VMAC's rp_filter=0 does not apply and adverts from the master may be dropped; set it to 0",
				"vmac", v.Name, "all_rp_filter", all)
		}
		// keepalived moves the VMAC's IGMP reports to the base with firewall rules; halvs
		// adds none, so a backup's VMAC reports its group from the virtual MAC, and a switch
		// that learns from that sends the VIPs' traffic to the backup until the master's next
		// advert. keepalived's disable_local_igmp turns the reports off instead.
		if rep, err := m.sysctl.Get("net/ipv4/igmp_link_local_mcast_reports"); err == nil && rep != "0" {
			m.log.Warn("net.ipv4.igmp_link_local_mcast_reports is on: a backup's VMAC sends IGMP reports from the virtual MAC, which can draw the VIPs' traffic to it on a switch that learns from them; set it to 0 (keepalived's disable_local_igmp)",
				"vmac", v.Name)
		}
	}
	if err := m.h.LinkSetUp(link); err != nil {
		return fmt.Errorf("up: %w", err)
	}
	if !v.IPv6 {
		return nil
	}
	addrs, err := m.h.AddrList(base, netlink.FAMILY_V6)
	if err != nil {
		return fmt.Errorf("list %s's addresses: %w", v.Base, err)
	}
	for _, a := range addrs {
		if a.IP.IsLinkLocalUnicast() {
			ll := &netlink.Addr{IPNet: &net.IPNet{IP: a.IP, Mask: net.CIDRMask(64, 128)}, Flags: unix.IFA_F_NODAD}
			if err := m.h.AddrAdd(link, ll); err != nil && !errors.Is(err, unix.EEXIST) {
				return fmt.Errorf("add link-local %s: %w", a.IP, err)
			}
			return nil
		}
	}
	return fmt.Errorf("%s has no IPv6 link-local address to send adverts from: %w", v.Base, ErrNoSourceAddress)
}

// setBase sets arp_ignore and arp_filter to 1 on base, saving the values it had, unless
// they are saved already (another VMAC on base, or an earlier run).
func (m *VMACs) setBase(base string) error {
	if slices.ContainsFunc(m.rec.Bases, func(b vmacBase) bool { return b.Dev == base }) {
		return nil
	}
	saved := map[string]string{}
	for _, name := range baseSysctlNames {
		v, err := m.sysctl.Get(baseSysctlKey(base, name))
		if err != nil {
			return fmt.Errorf("sysctl %s: %w", baseSysctlKey(base, name), err)
		}
		saved[name] = v
	}
	m.rec.Bases = append(m.rec.Bases, vmacBase{Dev: base, Saved: saved})
	m.persistOrLog()
	for _, name := range baseSysctlNames {
		if err := m.sysctl.Set(baseSysctlKey(base, name), "1"); err != nil {
			return fmt.Errorf("sysctl %s=1: %w", baseSysctlKey(base, name), err)
		}
	}
	return nil
}

// DeleteVMAC removes v if halvs created it (a VMAC not on record is left alone: success),
// and restores its base's sysctls once no VMAC on record uses that base.
func (m *VMACs) DeleteVMAC(v VMAC) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	rec, ours := m.recorded(v.Name)
	if !ours {
		return nil
	}
	if link, err := m.h.LinkByName(v.Name); err == nil {
		if err := m.h.LinkDel(link); err != nil && !errors.Is(err, unix.ENODEV) {
			return fmt.Errorf("vrrp: delete VMAC %s: %w", v.Name, err)
		}
		m.log.Info("removed VMAC", "vmac", v.Name, "base", rec.Base)
	} else if !errors.As(err, new(netlink.LinkNotFoundError)) {
		return fmt.Errorf("vrrp: delete VMAC %s: %w", v.Name, err)
	}
	m.forget(rec)
	m.restoreBase(rec.Base)
	return nil
}

// RemoveLeftovers deletes the VMACs on record that keep does not name (an earlier run made
// them and ended without removing them).
func (m *VMACs) RemoveLeftovers(keep []VMAC) {
	for _, v := range m.Recorded() {
		if slices.ContainsFunc(keep, func(k VMAC) bool { return k.Name == v.Name }) {
			continue
		}
		if err := m.DeleteVMAC(v); err != nil {
			m.log.Error("cannot remove a VMAC an earlier run left", "vmac", v.Name, "err", err)
		}
	}
}

// restoreBase puts base's saved sysctls back when no VMAC on record is on it. Called with mu.
func (m *VMACs) restoreBase(base string) {
	if slices.ContainsFunc(m.rec.VMACs, func(r VMAC) bool { return r.Base == base && !r.IPv6 }) {
		return
	}
	i := slices.IndexFunc(m.rec.Bases, func(b vmacBase) bool { return b.Dev == base })
	if i < 0 {
		return
	}
	for name, val := range m.rec.Bases[i].Saved {
		if err := m.sysctl.Set(baseSysctlKey(base, name), val); err != nil {
			m.log.Warn("cannot restore a sysctl of a VMAC's base interface", "key", baseSysctlKey(base, name), "value", val, "err", err)
		}
	}
	m.rec.Bases = slices.Delete(m.rec.Bases, i, i+1)
	m.persistOrLog()
}

// record puts v on record before it is created. Called with mu.
func (m *VMACs) record(v VMAC) error {
	m.rec.VMACs = slices.DeleteFunc(m.rec.VMACs, func(r VMAC) bool { return r.Name == v.Name })
	m.rec.VMACs = append(m.rec.VMACs, v)
	if err := m.persist(); err != nil {
		m.rec.VMACs = m.rec.VMACs[:len(m.rec.VMACs)-1]
		return err
	}
	return nil
}

// forget takes v off the record. Called with mu.
func (m *VMACs) forget(v VMAC) {
	m.rec.VMACs = slices.DeleteFunc(m.rec.VMACs, func(r VMAC) bool { return r.Name == v.Name })
	m.persistOrLog()
}

func (m *VMACs) persistOrLog() {
	if err := m.persist(); err != nil {
		m.log.Error("cannot update the record of the VMACs halvs created; after a crash, the next start would not remove them", "err", err)
	}
}

// persist writes the record (see writeRecord). Called with mu (or before m is shared).
func (m *VMACs) persist() error {
	if m.path == "" {
		return nil
	}
	f := m.rec
	if f.VMACs == nil {
		f.VMACs = []VMAC{}
	}
	if f.Bases == nil {
		f.Bases = []vmacBase{}
	}
	if err := writeRecord(m.path, f); err != nil {
		return fmt.Errorf("vrrp: VMAC record: %w", err)
	}
	return nil
}
