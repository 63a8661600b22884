package config

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"

	"github.com/halvs/halvs/vrrp"
)

var vrrpScriptSchema = schema{attrs: []string{"script", "interval", "timeout", "weight", "reverse", "rise", "fall", "user", "init_fail"}}

func (d *decoder) vrrpScript(name string, blk *hclsyntax.Block) VRRPScript {
	b := d.open(fmt.Sprintf("vrrp_script %q", name), blk.Body, blk.DefRange(), vrrpScriptSchema)
	s := VRRPScript{Name: name, Interval: time.Second, Rise: 1, Fall: 1, Source: b.src}
	if !b.script("script", &s.Script) && !b.has("script") {
		d.errorf(blk.DefRange(), "vrrp_script %q needs script = \"/path/to/check args\"", name)
	}
	if b.duration("interval", &s.Interval) && s.Interval < time.Millisecond {
		b.errorf("interval", "interval must be at least 1ms")
	}
	s.Timeout = s.Interval // keepalived: a script that outlives its interval has failed
	if b.duration("timeout", &s.Timeout) && s.Timeout <= 0 {
		b.errorf("timeout", "timeout must be more than 0")
	}
	b.integer("weight", &s.Weight, -253, 253)
	b.boolean("reverse", &s.Reverse)
	b.integer("rise", &s.Rise, 1, 1<<20)
	b.integer("fall", &s.Fall, 1, 1<<20)
	var user string
	if b.str("user", &user) {
		var err error
		if s.User, s.Group, err = parseUserGroup(user); err != nil {
			b.errorf("user", "user: %v", err)
		}
	}
	b.boolean("init_fail", &s.InitFail)
	return s
}

var vrrpInstanceSchema = schema{
	attrs: append([]string{"state", "interface", "virtual_router_id", "priority", "advert_int", "version",
		"nopreempt", "preempt_delay", "virtual_ipaddress", "virtual_ipaddress_excluded", "virtual_routes", "virtual_rules",
		"unicast_src_ip", "unicast_peer", "unicast_ttl", "track_interface", "track_script", "track_virtual_server", "track_file", "track_process",
		"garp_master_delay", "garp_master_repeat", "garp_master_refresh", "garp_master_refresh_repeat",
		"accept", "v3_checksum_as_v2", "dont_track_primary",
		"notify_master", "notify_backup", "notify_fault", "notify_stop", "notify", "notify_fifo"},
		instanceTimingAttrs...), // vrrp_timing.go
	blocks: []string{"authentication"},
}

func (d *decoder) vrrpInstance(name string, blk *hclsyntax.Block, cfg *Config) VRRPInstance {
	what := fmt.Sprintf("vrrp_instance %q", name)
	b := d.open(what, blk.Body, blk.DefRange(), vrrpInstanceSchema)
	g := cfg.Global
	vi := VRRPInstance{
		Name: name, State: StateBackup, AdvertInt: time.Second,
		GarpMasterDelay: g.VRRPGarpMasterDelay, GarpMasterRepeat: g.VRRPGarpMasterRepeat,
		GarpMasterRefresh: g.VRRPGarpMasterRefresh, GarpMasterRefreshRepeat: g.VRRPGarpMasterRefreshRepeat,
		NotifyFifo: g.NotifyFifo, Source: b.src,
	}
	var state string
	if b.str("state", &state) {
		switch State(state) {
		case StateMaster, StateBackup:
			vi.State = State(state)
		default:
			b.errorf("state", "state must be \"MASTER\" or \"BACKUP\", not %q%s", state, suggestValue(state, []string{"MASTER", "BACKUP"}))
		}
	}
	if !b.has("interface") {
		d.errorf(blk.DefRange(), "%s needs interface = \"IF\" (the interface its adverts use)", what)
	} else if b.str("interface", &vi.Interface) {
		if err := checkIfName(vi.Interface); err != nil {
			b.errorf("interface", "interface: %v", err)
		}
	}
	if !b.has("virtual_router_id") {
		d.errorf(blk.DefRange(), "%s needs virtual_router_id = N (1 to 255, the same on every director of this router)", what)
	} else {
		b.integer("virtual_router_id", &vi.VirtualRouterID, 1, 255)
	}
	// keepalived (vrrp_complete_instance): MASTER without a priority is the address owner
	// (255), otherwise 100; and with no state, priority 255 starts as MASTER.
	vi.Priority = 100
	if vi.State == StateMaster {
		vi.Priority = 255
	}
	if b.integer("priority", &vi.Priority, 1, 255) && vi.Priority == 255 {
		if !b.has("state") {
			vi.State = StateMaster
		} else if vi.State == StateBackup {
			// keepalived keeps BACKUP here outside strict mode, then acts as owner anyway.
			b.errorf("priority", "priority 255 means address owner, which always starts as MASTER; use state = \"MASTER\" (or leave state out) or a priority from 1 to 254")
		}
	}
	b.duration("advert_int", &vi.AdvertInt)
	b.boolean("nopreempt", &vi.NoPreempt)
	if vi.NoPreempt && vi.State == StateMaster {
		// keepalived clears nopreempt in this case and logs it; so does halvs, as a warning.
		b.warnf("nopreempt", "nopreempt has no effect with state = \"MASTER\" (it is ignored); use state = \"BACKUP\" on every director")
		vi.NoPreempt = false
	}
	if b.duration("preempt_delay", &vi.PreemptDelay) {
		switch {
		case vi.PreemptDelay > 1000*time.Second:
			b.errorf("preempt_delay", "preempt_delay must be from 0 to 1000 seconds")
		case vi.PreemptDelay > 0 && vi.State == StateMaster:
			// keepalived: "preempt delay will not work with initial state MASTER - clearing".
			b.warnf("preempt_delay", "preempt_delay has no effect with state = \"MASTER\" (it is ignored); a master does not wait to take over")
			vi.PreemptDelay = 0
		case vi.PreemptDelay > 0 && vi.NoPreempt:
			// keepalived: "preempt_delay is incompatible with nopreempt mode - resetting".
			b.warnf("preempt_delay", "preempt_delay has no effect with nopreempt = true (it is ignored): this director never preempts")
			vi.PreemptDelay = 0
		}
	}
	if ab := b.single("authentication"); ab != nil {
		vi.Auth = d.auth(ab)
	}
	var vipEntries int
	vi.VirtualIPAddresses, vipEntries = b.vips("virtual_ipaddress")
	vi.VirtualIPAddressesExcl, _ = b.vips("virtual_ipaddress_excluded")
	vi.VirtualRoutes, vi.VirtualRules = b.routes("virtual_routes"), b.rules("virtual_rules") // routes.go
	var src string
	if b.str("unicast_src_ip", &src) {
		a, err := parseAddr(src)
		if err != nil {
			b.errorf("unicast_src_ip", "unicast_src_ip: %v", err)
		}
		vi.UnicastSrcIP = a
	}
	b.unicast(&vi)
	vi.TrackInterfaces = b.trackInterfaces()
	vi.TrackScripts = b.trackScripts(cfg.VRRPScripts)
	b.trackVirtualServers(&vi)
	vi.TrackFiles = b.trackRefs("track_file", trackFileDefaults(cfg))
	vi.TrackProcesses = b.trackRefs("track_process", trackProcessDefaults(cfg))
	b.duration("garp_master_delay", &vi.GarpMasterDelay)
	b.integer("garp_master_repeat", &vi.GarpMasterRepeat, 1, 255)
	b.duration("garp_master_refresh", &vi.GarpMasterRefresh)
	b.integer("garp_master_refresh_repeat", &vi.GarpMasterRefreshRepeat, 1, 255)
	b.accept()               // vrrp_timing.go
	b.instanceTiming(&vi, g) // vrrp_timing.go
	b.boolean("v3_checksum_as_v2", &vi.V3ChecksumAsV2)
	b.boolean("dont_track_primary", &vi.DontTrackPrimary)
	b.script("notify_master", &vi.NotifyMaster)
	b.script("notify_backup", &vi.NotifyBackup)
	b.script("notify_fault", &vi.NotifyFault)
	b.script("notify_stop", &vi.NotifyStop)
	b.script("notify", &vi.Notify)
	b.str("notify_fifo", &vi.NotifyFifo)
	d.versionAndFamily(b, &vi, g)
	b.vmacAndNotifies(&vi) // vrrp_vmac.go
	d.checkVIPs(b, &vi, vipEntries)
	return vi
}

func (d *decoder) auth(blk *hclsyntax.Block) *Auth {
	b := d.open("authentication", blk.Body, blk.DefRange(), schema{attrs: []string{"auth_type", "auth_pass"}})
	a := &Auth{Type: AuthPass}
	var typ string
	if b.str("auth_type", &typ) {
		switch typ {
		case "PASS":
		case "AH", "ah":
			b.errorf("auth_type", "auth_type AH is not supported; use PASS or none (remove the authentication block)")
		default:
			b.errorf("auth_type", "auth_type must be \"PASS\", not %q%s", typ, suggestValue(typ, []string{"PASS"}))
		}
	}
	if !b.str("auth_pass", &a.Pass) || a.Pass == "" {
		d.errorf(blk.DefRange(), "authentication needs auth_pass = \"...\" (the same on every director)")
	} else if len(a.Pass) > 8 {
		b.warnf("auth_pass", "auth_pass is %d bytes; VRRPv2 sends only the first 8 (%q), as keepalived does", len(a.Pass), a.Pass[:8])
	}
	return a
}

// vips reads a VIP list; it also returns how many entries were written, valid or not, or
// -1 when the list itself was wrong (reported already).
func (b *block) vips(name string) ([]VIP, int) {
	items, ok := b.strings(name)
	if !ok && b.has(name) {
		return nil, -1
	}
	var out []VIP
	for _, it := range items {
		v, err := parseVIP(it.s)
		if err != nil {
			b.d.errorf(it.r, "%s entry %q: %v", name, it.s, err)
			continue
		}
		if err := CheckVIPAddress(v.Prefix); err != nil {
			b.d.errorf(it.r, "%s entry %q: %v", name, it.s, err)
			continue
		}
		v.Source = Source{Range: it.r}
		if v.Addr().Is4() && slices.Contains(strings.Fields(it.s), "preferred_lft") { // vip.go
			b.d.warnf(it.r, "preferred_lft has no effect on an IPv4 address (keepalived sends it for IPv6 only)")
		}
		if slices.Contains(strings.Fields(it.s), "no_track") {
			b.d.warnf(it.r, "no_track is accepted for compatibility but has no effect in halvs: halvs does not put an instance in FAULT when a VIP's interface goes down")
		}
		out = append(out, v)
	}
	return out, len(items)
}

// checkVIPs makes keepalived's checks on the advertised VIP list: none is an error for
// VRRPv3 and a warning for VRRPv2, and an IPv6 multicast instance's first VIP should be
// link-local (its adverts carry that address first).
func (d *decoder) checkVIPs(b *block, vi *VRRPInstance, entries int) {
	what := fmt.Sprintf("vrrp_instance %q", vi.Name)
	if entries == 0 {
		if vi.Version == 3 {
			d.errorf(vi.Source.Range, "%s has no virtual_ipaddress; VRRPv3 needs at least one (keepalived refuses it too)", what)
		} else {
			d.warnf(vi.Source.Range, "%s has no virtual_ipaddress; at least one is sensible (keepalived warns too)", what)
		}
		return
	}
	if vi.Family == IPv6 && len(vi.UnicastPeers) == 0 && len(vi.VirtualIPAddresses) > 0 {
		if first := vi.VirtualIPAddresses[0]; !first.Addr().IsLinkLocalUnicast() {
			d.warnf(first.Source.Range, "the first IPv6 virtual_ipaddress %s should be link-local (fe80::/10), as RFC 5798 and keepalived expect; list a link-local address first", first.Addr())
		}
	}
}

func (b *block) trackInterfaces() []TrackInterface {
	var out []TrackInterface
	items, _ := b.strings("track_interface")
	for _, it := range items {
		t, err := parseTrack(it.s, -253, 253)
		if err == nil {
			err = checkIfName(t.name)
		}
		if err != nil {
			b.d.errorf(it.r, "track_interface entry %q: %v", it.s, err)
			continue
		}
		out = append(out, TrackInterface{Name: t.name, Weight: t.weight, Reverse: t.reverse, Source: Source{Range: it.r}})
	}
	return out
}

func (b *block) trackScripts(scripts []VRRPScript) []TrackScript {
	var out []TrackScript
	items, _ := b.strings("track_script")
	for _, it := range items {
		t, err := parseTrack(it.s, -253, 253)
		if err != nil {
			b.d.errorf(it.r, "track_script entry %q: %v", it.s, err)
			continue
		}
		ts := TrackScript{Name: t.name, Weight: t.weight, Reverse: t.reverse, Source: Source{Range: it.r}}
		if !t.hasWeight { // the vrrp_script's own weight and direction apply
			for _, s := range scripts {
				if s.Name == t.name {
					ts.Weight, ts.Reverse = s.Weight, s.Reverse || t.reverse
				}
			}
		}
		out = append(out, ts)
	}
	return out
}

func (b *block) trackVirtualServers(vi *VRRPInstance) {
	items, _ := b.strings("track_virtual_server")
	for _, it := range items {
		t, err := parseTrack(it.s, -253, 253)
		if err != nil {
			b.d.errorf(it.r, "track_virtual_server entry %q: %v", it.s, err)
			continue
		}
		key, err := canonicalVSKey(t.name)
		if err != nil {
			b.d.errorf(it.r, "track_virtual_server entry %q: %v", it.s, err)
			continue
		}
		vi.TrackVirtualServers = append(vi.TrackVirtualServers, TrackVirtualServer{VirtualServer: key, Weight: t.weight, Reverse: t.reverse, Source: Source{Range: it.r}})
	}
}

// versionAndFamily settles the VRRP version and address family, then checks what depends on
// them: advert_int's range and resolution, and authentication.
func (d *decoder) versionAndFamily(b *block, vi *VRRPInstance, g Global) {
	for _, v := range vi.VirtualIPAddresses {
		f := familyOf(v.Addr())
		if vi.Family == FamilyUnspec {
			vi.Family = f
		} else if f != vi.Family {
			d.errorf(v.Source.Range, "virtual_ipaddress %s is %s but the first entry is %s; one instance advertises one family (use a second vrrp_instance, or virtual_ipaddress_excluded)", v.Addr(), f, vi.Family)
		}
	}
	if vi.Family == FamilyUnspec {
		vi.Family = IPv4
		if vi.UnicastSrcIP.Is6() || len(vi.UnicastPeers) > 0 && vi.UnicastPeers[0].Is6() {
			vi.Family = IPv6
		}
	}
	vi.Version = g.VRRPVersion
	if b.integer("version", &vi.Version, 2, 3) {
		if vi.Version == 2 && vi.Family == IPv6 {
			b.errorf("version", "VRRPv2 is IPv4 only but this instance's addresses are IPv6; use version = 3")
			vi.Version = 3
		}
	} else if vi.Family == IPv6 {
		vi.Version = 3 // as keepalived: IPv6 instances always run VRRPv3
	}
	if err := vrrp.CheckInterval(vi.Version, vi.AdvertInt); err != nil {
		b.errorf("advert_int", "advert_int %v: %v", vi.AdvertInt, err)
	}
	if vi.Version == 3 {
		if vi.Auth != nil {
			d.errorf(vi.Source.Range, "%s: VRRPv3 has no authentication (RFC 5798); remove the authentication block or use version = 2", "vrrp_instance "+fmt.Sprintf("%q", vi.Name))
		}
		if vi.Family == IPv6 && vi.V3ChecksumAsV2 {
			b.warnf("v3_checksum_as_v2", "v3_checksum_as_v2 only changes IPv4 checksums; it has no effect on an IPv6 instance")
		}
	}
	if vi.Version == 2 && vi.V3ChecksumAsV2 {
		b.warnf("v3_checksum_as_v2", "v3_checksum_as_v2 has no effect with VRRPv2")
	}
}

var syncGroupSchema = schema{attrs: []string{"group", "notify_master", "notify_backup", "notify_fault", "notify_stop", "notify",
	"track_interface", "track_script", "track_file", "track_process", "sync_group_tracking_weight"}}

func (d *decoder) syncGroup(name string, blk *hclsyntax.Block, cfg *Config) VRRPSyncGroup {
	b := d.open(fmt.Sprintf("vrrp_sync_group %q", name), blk.Body, blk.DefRange(), syncGroupSchema)
	sg := VRRPSyncGroup{Name: name, Source: b.src}
	items, _ := b.strings("group")
	var ranges []hcl.Range
	for _, it := range items {
		sg.Group = append(sg.Group, it.s)
		ranges = append(ranges, it.r)
	}
	sg.Source.setEntries("group", ranges)
	if !b.has("group") {
		d.errorf(blk.DefRange(), "vrrp_sync_group %q needs group = [\"VI_1\", ...]", name)
	}
	b.script("notify_master", &sg.NotifyMaster)
	b.script("notify_backup", &sg.NotifyBackup)
	b.script("notify_fault", &sg.NotifyFault)
	b.script("notify_stop", &sg.NotifyStop)
	b.script("notify", &sg.Notify)
	d.syncGroupTrackers(b, &sg, cfg)
	return sg
}
