package director

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"github.com/halvs/halvs/config"
	"github.com/halvs/halvs/vrrp"
)

// use_vmac: each such instance's VMAC (vrrp.VMAC) is created before the instance starts and
// removed after it stops: at start and stop, and by a reload for the instances it adds or
// removes. The instance's VIPs of its own family on its interface go on the VMAC, and unless
// vmac_xmit_base its adverts are sent and received there, as keepalived's socket is.
// vrrp.VMACs records the VMACs it creates, so a restart removes only those.

// vmacsOf is every use_vmac instance's VMAC, by instance name.
func vmacsOf(cfg *config.Config) map[string]vrrp.VMAC {
	out := map[string]vrrp.VMAC{}
	for _, vi := range cfg.VRRPInstances {
		if vi.VMAC.Use {
			out[vi.Name] = vrrp.VMAC{Name: vi.VMAC.Name, Base: vi.Interface, VRID: uint8(vi.VirtualRouterID), IPv6: vi.Family == config.IPv6}
		}
	}
	return out
}

// applyVMAC moves ic onto vi's VMAC, if it has one.
func applyVMAC(vi *config.VRRPInstance, ic *vrrp.InstanceConfig) {
	if !vi.VMAC.Use {
		return
	}
	for _, vs := range [][]vrrp.VIP{ic.VIPs, ic.ExcludedVIPs} {
		for i := range vs {
			vs[i] = vmacVIP(vi, vs[i])
		}
	}
	if !vi.VMAC.XmitBase {
		ic.Interface = vi.VMAC.Name
	}
}

// vmacVIP is v as vi adds it: on the VMAC when v is of vi's family and on vi's interface.
func vmacVIP(vi *config.VRRPInstance, v vrrp.VIP) vrrp.VIP {
	if vi.VMAC.Use && v.Dev == vi.Interface && v.Prefix.Addr().Is6() == (vi.Family == config.IPv6) {
		v.Dev = vi.VMAC.Name
		if strings.HasPrefix(v.Label, vi.Interface+":") {
			// A label must start with its interface's name.
			v.Label = vi.VMAC.Name + v.Label[len(vi.Interface):]
		}
	}
	return v
}

// vmacSide is the Director's VMACs: the manager and, for the transports, each VMAC's base.
type vmacSide struct {
	mgr vrrp.VMACManager

	mu    sync.Mutex
	bases map[string]string // VMAC name → base interface, of the IPv4 VMACs
}

// vmacRecordPath is where the VMACs are recorded: beside the VIP record ("x.vips.json" →
// "x.vmacs.json"); "" keeps the record in memory.
func vmacRecordPath(o Options) string {
	if o.VIPRecord == "" {
		return ""
	}
	base := strings.TrimSuffix(strings.TrimSuffix(o.VIPRecord, ".json"), ".vips")
	return filepath.Clean(base + ".vmacs.json")
}

// openVMACs makes the VMAC manager: Options.VMACs, or the kernel's.
func (d *Director) openVMACs() error {
	d.vmacs.mgr = d.opts.VMACs
	if d.vmacs.mgr != nil {
		return nil
	}
	m, err := vrrp.OpenVMACs(vmacRecordPath(d.opts), nil, nil, d.log)
	if err != nil {
		return err
	}
	d.vmacs.mgr = m
	d.owned = append(d.owned, m)
	return nil
}

// wrapOpen gives a Transport on an IPv4 VMAC its base's address as the source, which
// the VMAC lacks.
func (v *vmacSide) wrapOpen(open func(vrrp.TransportKey) (vrrp.Transport, error)) func(vrrp.TransportKey) (vrrp.Transport, error) {
	return func(k vrrp.TransportKey) (vrrp.Transport, error) {
		v.mu.Lock()
		base, isVMAC := v.bases[k.Dev]
		v.mu.Unlock()
		if isVMAC && !k.IPv6 && !k.Src.IsValid() {
			src, err := vrrp.VMACSource(base)
			if err != nil {
				return nil, fmt.Errorf("use_vmac %s: the source address of its adverts, %s's: %w", k.Dev, base, err)
			}
			k.Src = src
		}
		return open(k)
	}
}

// startVMACs removes the VMACs an earlier run left that p does not have, then creates p's.
// Called by Run before the instances start.
func (d *Director) startVMACs(p VRRPPlan) error {
	if l, ok := d.vmacs.mgr.(interface{ RemoveLeftovers(keep []vrrp.VMAC) }); ok {
		l.RemoveLeftovers(sortedVMACs(p.VMACs))
	}
	_, err := d.createVMACs(nil, p.VMACs)
	return err
}

// createVMACs creates the VMACs of next that old lacks, and returns them. On error it
// removes those it created and changes nothing.
func (d *Director) createVMACs(old, next map[string]vrrp.VMAC) ([]vrrp.VMAC, error) {
	var made []vrrp.VMAC
	for _, v := range sortedVMACs(next) {
		if slices.Contains(sortedVMACs(old), v) {
			continue
		}
		if err := d.vmacs.mgr.CreateVMAC(v); err != nil {
			d.deleteVMACs(made)
			return nil, err
		}
		made = append(made, v)
	}
	d.setVMACBases(old, next)
	return made, nil
}

// setVMACBases makes the transports know the VMACs of old and next (a reload opens
// transports on next's while old's may still be in use).
func (d *Director) setVMACBases(old, next map[string]vrrp.VMAC) {
	bases := map[string]string{}
	for _, m := range []map[string]vrrp.VMAC{old, next} {
		for _, v := range m {
			if !v.IPv6 {
				bases[v.Name] = v.Base
			}
		}
	}
	d.vmacs.mu.Lock()
	d.vmacs.bases = bases
	d.vmacs.mu.Unlock()
}

// deleteVMACs removes vs, logging what fails.
func (d *Director) deleteVMACs(vs []vrrp.VMAC) {
	for _, v := range vs {
		if err := d.vmacs.mgr.DeleteVMAC(v); err != nil {
			d.log.Error("cannot remove a VMAC", "vmac", v.Name, "err", err)
		}
	}
}

// goneVMACs are the VMACs of old that next does not have as they are.
func goneVMACs(old, next map[string]vrrp.VMAC) []vrrp.VMAC {
	keep := sortedVMACs(next)
	return slices.DeleteFunc(sortedVMACs(old), func(v vrrp.VMAC) bool { return slices.Contains(keep, v) })
}

// checkVMACReload refuses a reload that gives an existing VMAC's name another base,
// VRID or family: its instance's transport would stay on the VMAC that goes.
func checkVMACReload(old, next map[string]vrrp.VMAC) error {
	for _, n := range next {
		for _, o := range old {
			if o.Name == n.Name && o != n {
				return fmt.Errorf("use_vmac %s: a reload cannot give the VMAC another interface, virtual_router_id or family (%s/%d → %s/%d); give it a new name, or restart halvs",
					n.Name, o.Base, o.VRID, n.Base, n.VRID)
			}
		}
	}
	return nil
}

func sortedVMACs(m map[string]vrrp.VMAC) []vrrp.VMAC {
	out := make([]vrrp.VMAC, 0, len(m))
	for _, v := range m {
		out = append(out, v)
	}
	slices.SortFunc(out, func(a, b vrrp.VMAC) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// vmacStatus is the VMAC an instance's status names, and its configured interface.
func (p VRRPPlan) vmacStatus(instance, iface string) (string, string) {
	if v, ok := p.VMACs[instance]; ok {
		return v.Base, v.Name
	}
	return iface, ""
}
