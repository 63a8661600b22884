package lvs

import (
	"errors"
	"fmt"
	"os"
	"syscall"

	"github.com/vishvananda/netlink"
)

// ErrNoIPVS says the running kernel has no IPVS. Its text is the one line halvs prints.
var ErrNoIPVS = errors.New("IPVS is not available in this kernel: load it with 'modprobe ip_vs'")

// procIPVS exists once the ip_vs module is loaded (in every network namespace).
const procIPVS = "/proc/net/ip_vs"

// Available reports whether this kernel has IPVS: ErrNoIPVS when /proc/net/ip_vs is absent
// or the IPVS generic-netlink family is not registered. It does not load the module:
// loading kernel modules is the operator's decision.
func Available() error {
	if _, err := os.Stat(procIPVS); err != nil {
		return ErrNoIPVS
	}
	if _, err := ipvsFamilyID(); err != nil {
		return err
	}
	return nil
}

// ipvsFamilyID is the generic-netlink family id of IPVS (the kernel assigns it at module
// load time).
func ipvsFamilyID() (uint16, error) {
	f, err := netlink.GenlFamilyGet("IPVS")
	if errors.Is(err, syscall.ENOENT) {
		return 0, ErrNoIPVS
	}
	if err != nil {
		return 0, fmt.Errorf("lvs: look up the IPVS netlink family: %w", err)
	}
	return f.ID, nil
}
