package vrrp

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// VMAC is one use_vmac interface, as keepalived's vrrp_vmac.c makes it: a macvlan in private
// mode on the instance's interface (Base), with the VRRP virtual MAC address of RFC 5798
// §7.3 (00:00:5e:00:01:VRID, IPv6 00:00:5e:00:02:VRID). It holds the instance's VIPs, so the
// VIPs keep one MAC address whichever director holds them: a takeover needs no neighbour
// update (halvs still sends gratuitous ARPs, as keepalived does, for the switches).
type VMAC struct {
	Name string `json:"name"` // the macvlan's name; DefaultVMACName when not configured
	Base string `json:"base"` // the instance's interface
	VRID uint8  `json:"vrid"`
	IPv6 bool   `json:"ipv6"` // the instance's family: selects the virtual MAC and the sysctls
}

// DefaultVMACName is keepalived's name for a use_vmac interface without one: "vrrp.VRID".
func DefaultVMACName(vrid uint8) string { return "vrrp." + strconv.Itoa(int(vrid)) }

// VirtualMAC is the VRRP virtual router MAC address of vrid (RFC 5798 §7.3).
func VirtualMAC(vrid uint8, ipv6 bool) net.HardwareAddr {
	fam := byte(0x01)
	if ipv6 {
		fam = 0x02
	}
	return net.HardwareAddr{0x00, 0x00, 0x5e, 0x00, fam, vrid}
}

// HardwareAddr is v's virtual MAC address.
func (v VMAC) HardwareAddr() net.HardwareAddr { return VirtualMAC(v.VRID, v.IPv6) }

// Validate says what is wrong with v, if anything.
func (v VMAC) Validate() error {
	switch {
	case v.VRID == 0:
		return fmt.Errorf("%w: use_vmac %q: no virtual_router_id", ErrConfig, v.Name)
	case v.Base == "":
		return fmt.Errorf("%w: use_vmac %q: no base interface", ErrConfig, v.Name)
	case v.Name == v.Base:
		return fmt.Errorf("%w: use_vmac %q: the name is the base interface's", ErrConfig, v.Name)
	}
	return CheckLinkName(v.Name)
}

// CheckLinkName reports whether name can be an interface name (the kernel's dev_valid_name).
func CheckLinkName(name string) error {
	switch {
	case name == "" || name == "." || name == "..":
		return fmt.Errorf("interface name %q is not valid", name)
	case len(name) > 15:
		return fmt.Errorf("interface name %q is longer than 15 bytes", name)
	case strings.ContainsAny(name, "/: \t\n"):
		return fmt.Errorf("interface name %q contains '/', ':' or white space", name)
	}
	return nil
}

// VMACManager creates and removes use_vmac interfaces. CreateVMAC makes v exist as
// described (its sysctls set, up); DeleteVMAC removes it. Both are idempotent, and only
// touch interfaces the manager created (VMACs does it with a record).
type VMACManager interface {
	CreateVMAC(v VMAC) error
	DeleteVMAC(v VMAC) error
}

// ErrNotOurVMAC means an interface with a VMAC's name exists and halvs did not create it.
var ErrNotOurVMAC = errors.New("an interface of that name exists and halvs did not create it")

// Sysctl reads and writes kernel parameters by their path under /proc/sys
// ("net/ipv4/conf/eth0/arp_ignore").
type Sysctl interface {
	Get(key string) (string, error)
	Set(key, value string) error
}

// ProcSysctl is the Sysctl of /proc/sys. The network parameters are those of the network
// namespace of the calling thread.
type ProcSysctl struct{}

func (ProcSysctl) Get(key string) (string, error) {
	b, err := os.ReadFile(filepath.Join("/proc/sys", key))
	return strings.TrimSpace(string(b)), err
}

func (ProcSysctl) Set(key, value string) error {
	return os.WriteFile(filepath.Join("/proc/sys", key), []byte(value), 0o644)
}

// vmacSysctls are what keepalived sets on a VMAC (vrrp_if_config.c): arp_ignore=1, so it never
// answers ARP for the base interface's addresses; for IPv4 also accept_local=1 (the peer's
// adverts carry the same source MAC), rp_filter=0 (it receives with no address of its own)
// and promote_secondaries=1. An IPv4 VMAC has IPv6 off, as keepalived has it.
func vmacSysctls(v VMAC) [][2]string {
	c := "net/ipv4/conf/" + v.Name + "/"
	if v.IPv6 {
		return [][2]string{{c + "arp_ignore", "1"}}
	}
	return [][2]string{
		{c + "arp_ignore", "1"}, {c + "accept_local", "1"}, {c + "rp_filter", "0"},
		{c + "promote_secondaries", "1"}, {"net/ipv6/conf/" + v.Name + "/disable_ipv6", "1"},
	}
}

// baseSysctlNames are set to 1 on the base interface of an IPv4 VMAC (keepalived's
// parent_sysctl), so that the base does not answer ARP for the VIPs on the VMAC, and
// restored when its last VMAC goes.
var baseSysctlNames = []string{"arp_ignore", "arp_filter"}

func baseSysctlKey(base, name string) string { return "net/ipv4/conf/" + base + "/" + name }

// VMACSource is the address IPv4 adverts leave a VMAC from: the primary address of its base
// interface (the VMAC has none of its own), as keepalived sends them. An IPv6 VMAC holds the
// base's link-local address itself, which the Transport finds there.
func VMACSource(base string) (netip.Addr, error) {
	ifi, err := net.InterfaceByName(base)
	if err != nil {
		return netip.Addr{}, err
	}
	return interfaceSource(ifi, FamilyIPv4)
}
