package config

import (
	"strconv"

	"github.com/halvs/halvs/internal/script"
	"github.com/zclconf/go-cty/cty"
)

// VMAC is a vrrp_instance's use_vmac and vmac_xmit_base: the instance's VIPs live on a
// macvlan of its interface with the VRRP virtual MAC address (00:00:5e:00:01:VRID, IPv6
// 00:00:5e:00:02:VRID), created at start and removed at stop, as keepalived does.
type VMAC struct {
	Use bool
	// Name is the macvlan's name: use_vmac's value, else keepalived's "vrrp.VRID" (an IPv6
	// instance whose VRID an IPv4 one uses already gets "vrrp6.VRID", as in keepalived).
	Name string
	// XmitBase is vmac_xmit_base: adverts are sent and received on the instance's interface
	// rather than on the macvlan. keepalived sets it for a unicast instance, and so does halvs.
	XmitBase bool
}

// NotifyEvents are keepalived's notifies beyond the state scripts.
type NotifyEvents struct {
	// MasterRxLowerPri is notify_master_rx_lower_pri: run (with no added arguments) each time
	// the MASTER receives an advert of a lower priority, a master that should not be one;
	// the FIFO gets `INSTANCE "NAME" MASTER_RX_LOWER_PRI PRIO` then too.
	MasterRxLowerPri Script
	// PriorityChanges is notify_priority_changes: every change of the effective priority is
	// written to the FIFOs as MASTER_PRIORITY or BACKUP_PRIORITY with the new priority.
	PriorityChanges bool
	// Deleted is notify_deleted: an instance a reload removes is notified as DELETED (to the
	// notify script and the FIFOs) instead of keepalived's default FAULT; DeletedScript, when
	// given, runs too.
	Deleted       bool
	DeletedScript Script
}

var instanceVMACAttrs = []string{"use_vmac", "vmac_xmit_base", "notify_master_rx_lower_pri", "notify_priority_changes", "notify_deleted"}

// The keywords join the vrrp_instance schema here, beside the code that reads them.
func init() { vrrpInstanceSchema.attrs = append(vrrpInstanceSchema.attrs, instanceVMACAttrs...) }

// vmacAndNotifies reads use_vmac, vmac_xmit_base and the NotifyEvents keywords.
func (b *block) vmacAndNotifies(vi *VRRPInstance) {
	if v, ok := b.value("use_vmac"); ok {
		switch {
		case v.Type() == cty.Bool:
			vi.VMAC.Use = v.True()
		case v.Type() == cty.String:
			name := v.AsString()
			if err := checkIfName(name); err != nil {
				b.errorf("use_vmac", "use_vmac: %v", err)
			} else if name == vi.Interface {
				b.errorf("use_vmac", "use_vmac %q is the instance's own interface; name the macvlan something else", name)
			} else {
				vi.VMAC.Use, vi.VMAC.Name = true, name
			}
		default:
			b.errorf("use_vmac", "use_vmac must be true or the macvlan's name in quotes (keepalived's bare use_vmac is use_vmac = true)")
		}
	}
	b.boolean("vmac_xmit_base", &vi.VMAC.XmitBase)
	if vi.VMAC.XmitBase && !vi.VMAC.Use {
		b.warnf("vmac_xmit_base", "vmac_xmit_base has no effect without use_vmac (it is ignored)")
		vi.VMAC.XmitBase = false
	}
	if vi.VMAC.Use && len(vi.UnicastPeers) > 0 && !vi.VMAC.XmitBase {
		// keepalived: "unicast with use_vmac requires vmac_xmit_base - setting".
		b.warnf("use_vmac", "a unicast instance with use_vmac sends its adverts from %s (vmac_xmit_base), as keepalived does; write vmac_xmit_base = true to say so", vi.Interface)
		vi.VMAC.XmitBase = true
	}

	n := &vi.NotifyEvents
	b.script("notify_master_rx_lower_pri", &n.MasterRxLowerPri)
	b.boolean("notify_priority_changes", &n.PriorityChanges)
	if v, ok := b.value("notify_deleted"); ok {
		switch {
		case v.Type() == cty.Bool:
			n.Deleted = v.True()
		case v.Type() == cty.String:
			words, err := script.Split(v.AsString(), true)
			if err != nil || len(words) == 0 || words[0] == "" {
				b.errorf("notify_deleted", "notify_deleted: the script names no program")
				break
			}
			n.Deleted, n.DeletedScript = true, Script{Argv: words}
		default:
			b.errorf("notify_deleted", "notify_deleted must be true or a script in quotes (keepalived's bare notify_deleted is notify_deleted = true)")
		}
	}
}

// validateVMACs gives each use_vmac instance without a name keepalived's, and refuses one
// macvlan name for two instances or for an interface an instance uses itself.
func validateVMACs(d *decoder, cfg *Config) {
	used := map[string]string{} // name → the instance whose VMAC it is
	for _, vi := range cfg.VRRPInstances {
		if vi.VMAC.Use && vi.VMAC.Name != "" {
			if other, dup := used[vi.VMAC.Name]; dup {
				d.errorf(vi.Source.Of("use_vmac"), "use_vmac %q is already vrrp_instance %q's; each instance needs its own macvlan", vi.VMAC.Name, other)
			}
			used[vi.VMAC.Name] = vi.Name
		}
	}
	for i := range cfg.VRRPInstances {
		vi := &cfg.VRRPInstances[i]
		if !vi.VMAC.Use || vi.VMAC.Name != "" {
			continue
		}
		name := "vrrp." + strconv.Itoa(vi.VirtualRouterID)
		if _, taken := used[name]; taken && vi.Family == IPv6 {
			name = "vrrp6." + strconv.Itoa(vi.VirtualRouterID)
		}
		if other, taken := used[name]; taken {
			d.errorf(vi.Source.Of("use_vmac"), "use_vmac: the default name %s is vrrp_instance %q's already; give this one a name (use_vmac = \"NAME\")", name, other)
		}
		vi.VMAC.Name, used[name] = name, vi.Name
	}
	for _, vi := range cfg.VRRPInstances {
		if owner, isVMAC := used[vi.Interface]; isVMAC {
			d.errorf(vi.Source.Of("interface"), "interface %q is vrrp_instance %q's use_vmac macvlan, which halvs creates; name the real interface", vi.Interface, owner)
		}
	}
	garpGroupVMACs(d, cfg.Global.Timing.GarpGroups, used) // garp_group.go
}
