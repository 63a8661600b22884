package director

import (
	"errors"
	"fmt"
	"slices"

	"github.com/halvs/halvs/config"
	"github.com/halvs/halvs/vrrp"
)

// Address ownership: halvs adds and removes only the addresses it can prove are its own. The
// ledger records every VIP halvs adds (in Options.VIPRecord, so that the record outlives a
// crash); a VIP the host already holds, and that the ledger does not list, is refused unless
// its virtual_ipaddress entry has the takeover option.

// checkHostAddresses refuses the VIPs of added that the host already holds on any interface
// without halvs having added them (a VIP an earlier run added and left is fine), unless cfg
// gives their entry the takeover option. added are the VIPs about to be added: all of them
// at start (New), and on a reload the VIPs the new config has that the running one did not
// (Reload must call it with those before applying, as New does). It reads the kernel through
// the Addresser when that can list addresses (vrrp.AddressLister); with one that cannot (a
// test's fake), nothing is checked.
func (d *Director) checkHostAddresses(cfg *config.Config, added []vrrp.VIP) error {
	if d.lister == nil || len(added) == 0 {
		return nil
	}
	host, err := d.lister.ListAddresses()
	if err != nil {
		return fmt.Errorf("cannot list the host's addresses to check the VIPs against them: %w", err)
	}
	var errs []error
	for _, e := range vipEntries(cfg) {
		if e.cfg.Takeover || !slices.ContainsFunc(added, func(v vrrp.VIP) bool { return sameVIP(v, e.vip) }) {
			continue
		}
		for _, h := range host {
			if h.Prefix.Addr() != e.vip.Prefix.Addr() || d.ledger.Added(vrrp.VIP{Prefix: h.Prefix, Dev: h.Dev}) {
				continue
			}
			r := e.cfg.Source.Range
			errs = append(errs, fmt.Errorf("%s:%d:%d: %s%s %q: %s is already an address of %s (%s), not one halvs added; "+
				"remove it from %s, or add the option takeover to the entry to let halvs take it over (halvs then removes it when it releases the VIP)",
				r.Filename, r.Start.Line, r.Start.Column, e.owner(), e.list, e.cfg.Prefix, e.vip.Prefix.Addr(), h.Dev, h.Prefix, e.list))
		}
	}
	return errors.Join(errs...)
}

// vipEntry is one virtual_ipaddress or virtual_ipaddress_excluded entry of a config.
type vipEntry struct {
	instance, list string
	cfg            config.VIP
	vip            vrrp.VIP // as the instance adds it
}

func vipEntries(cfg *config.Config) []vipEntry {
	var out []vipEntry
	for _, vi := range cfg.VRRPInstances {
		for _, l := range []struct {
			name string
			vips []config.VIP
		}{{"virtual_ipaddress", vi.VirtualIPAddresses}, {"virtual_ipaddress_excluded", vi.VirtualIPAddressesExcl}} {
			for _, v := range l.vips {
				out = append(out, vipEntry{instance: vi.Name, list: l.name, cfg: v, vip: vmacVIP(&vi, vipOf(v, vi.Interface))})
			}
		}
	}
	for _, v := range cfg.StaticIPAddresses {
		out = append(out, vipEntry{list: "static_ipaddress", cfg: v, vip: vipOf(v, v.Dev)})
	}
	return out
}

// sameVIP reports whether a and b are one address to the kernel: interface, address and
// prefix length.
func sameVIP(a, b vrrp.VIP) bool { return a.Dev == b.Dev && a.Prefix == b.Prefix }

// planVIPs is every VIP the instances of p may add.
func planVIPs(p VRRPPlan) []vrrp.VIP {
	var out []vrrp.VIP
	for _, ic := range p.Instances {
		out = append(append(out, ic.VIPs...), ic.ExcludedVIPs...)
	}
	return append(out, p.Static.Addresses...)
}

// addedVIPs is every VIP the instances of next may add that those of running could not: what
// a reload adds, and so checks against the host's addresses.
func addedVIPs(running, next VRRPPlan) []vrrp.VIP {
	had := planVIPs(running)
	return slices.DeleteFunc(planVIPs(next), func(v vrrp.VIP) bool {
		return slices.ContainsFunc(had, func(w vrrp.VIP) bool { return sameVIP(v, w) })
	})
}

// removeLeftovers removes the VIPs on record that no instance of p has: an earlier run added
// them and ended without removing them (killed, or with another config). The instances
// remove their own at start. Called by Run before the instances start, when nothing on
// record can be this run's.
func (d *Director) removeLeftovers(p VRRPPlan) {
	want := planVIPs(p)
	for _, v := range d.ledger.Recorded() {
		if slices.ContainsFunc(want, func(w vrrp.VIP) bool { return sameVIP(v, w) }) {
			continue
		}
		d.log.Info("removing a VIP an earlier run added and left, which the config no longer has", "vip", v.Prefix, "dev", v.Dev)
		if err := d.ledger.DelVIP(v); err != nil {
			d.log.Error("cannot remove a VIP an earlier run left", "vip", v.Prefix, "dev", v.Dev, "err", err)
		}
	}
}
