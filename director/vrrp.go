package director

import (
	"fmt"
	"net/netip"
	"time"

	"github.com/halvs/halvs/config"
	"github.com/halvs/halvs/track"
	"github.com/halvs/halvs/vrrp"
)

// VRRPPlan is the VRRP part of a config in the vrrp package's terms: the instances and sync
// groups for vrrp.Router.Apply, the vrrp_scripts the director runs and feeds to the
// instances, and what the director keeps for itself (reverse tracking, notify FIFOs).
type VRRPPlan struct {
	Instances  []vrrp.InstanceConfig
	SyncGroups []vrrp.SyncGroupConfig
	Scripts    []ScriptPlan
	// Reverse lists, per instance, the tracked scripts and virtual servers whose state is
	// inverted before it is fed (keepalived's `reverse`).
	Reverse map[string]map[trackRef]bool
	// FIFOs are per-instance notify_fifo paths (global's is the Router's FIFO).
	FIFOs map[string]string
	// Files are the track_files the instances track (watched through inotify), Processes
	// the vrrp_track_processes (watched through process events): trackers.go.
	Files     []FilePlan
	Processes []track.ProcessSpec
	// LinkDelays are interface_up_down_delays, applied to every watched link (linkdelay.go).
	LinkDelays []config.InterfaceDelay
	// Static is static_ipaddress, static_routes and static_rules (routes.go).
	Static StaticPlan
	// VMACs are the use_vmac interfaces, by instance name (vmac.go).
	VMACs map[string]vrrp.VMAC
	// Pacing is garp_group and vrrp_garp_interval / vrrp_gna_interval (garp_group.go).
	Pacing vrrp.AnnouncePacing
}

// ScriptPlan is one vrrp_script: how to run it, and as whom.
type ScriptPlan struct {
	vrrp.ScriptConfig
	InitFail bool   // keepalived's init_fail: the script counts as failed until it first succeeds
	User     string // "" means the global script_user, then the user halvs runs as
	Group    string
}

// trackRef names an object an instance tracks and the director feeds.
type trackRef struct {
	Kind vrrp.TrackKind
	Name string
}

// TranslateVRRP translates the config's vrrp_instance, vrrp_sync_group and vrrp_script blocks.
// config has applied keepalived's defaults and checked the references; the error reports what
// the vrrp package refuses all the same, naming the instance.
func TranslateVRRP(cfg *config.Config) (VRRPPlan, error) {
	p := VRRPPlan{Reverse: map[string]map[trackRef]bool{}, FIFOs: map[string]string{}}
	for i := range cfg.VRRPInstances {
		vi := &cfg.VRRPInstances[i]
		ic, err := instanceConfig(vi)
		if err != nil {
			return VRRPPlan{}, err
		}
		ic.Timing = instanceTiming(vi, cfg.Global) // vrrp_timing.go
		p.Instances = append(p.Instances, ic)
		rev := map[trackRef]bool{}
		for _, ts := range vi.TrackScripts {
			if ts.Reverse {
				rev[trackRef{vrrp.TrackScript, ts.Name}] = true
			}
		}
		for _, tv := range vi.TrackVirtualServers {
			if tv.Reverse {
				rev[trackRef{vrrp.TrackVirtualServer, tv.VirtualServer}] = true
			}
		}
		if len(rev) > 0 {
			p.Reverse[vi.Name] = rev
		}
		if vi.NotifyFifo != "" {
			p.FIFOs[vi.Name] = vi.NotifyFifo
		}
	}
	addGroupTrackers(cfg, &p)
	p.Files, p.Processes = trackedObjects(cfg, p.Instances)
	p.Static = translateStatic(cfg)
	p.VMACs = vmacsOf(cfg)                                // vmac.go
	p.Pacing = announcePacing(cfg.Global.Timing, p.VMACs) // garp_group.go
	p.LinkDelays = cfg.InterfaceDelays
	for _, g := range cfg.VRRPSyncGroups {
		p.SyncGroups = append(p.SyncGroups, vrrp.SyncGroupConfig{
			Name:    g.Name,
			Members: append([]string(nil), g.Group...),
			Notify: vrrp.NotifyConfig{
				Master: g.NotifyMaster.Argv, Backup: g.NotifyBackup.Argv, Fault: g.NotifyFault.Argv,
				Stop: g.NotifyStop.Argv, Notify: g.Notify.Argv,
			},
		})
	}
	for _, s := range cfg.VRRPScripts {
		if s.Script.IsZero() {
			return VRRPPlan{}, fmt.Errorf("vrrp_script %q: no script to run", s.Name)
		}
		p.Scripts = append(p.Scripts, ScriptPlan{
			ScriptConfig: vrrp.ScriptConfig{Name: s.Name, Argv: s.Script.Argv, Interval: s.Interval,
				Timeout: s.Timeout, Rise: s.Rise, Fall: s.Fall},
			InitFail: s.InitFail, User: s.User, Group: s.Group,
		})
	}
	return p, nil
}

func instanceConfig(vi *config.VRRPInstance) (vrrp.InstanceConfig, error) {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("vrrp_instance %q: %s", vi.Name, fmt.Sprintf(format, args...))
	}
	if vi.VirtualRouterID < 1 || vi.VirtualRouterID > 255 {
		return vrrp.InstanceConfig{}, bad("virtual_router_id %d out of 1-255", vi.VirtualRouterID)
	}
	if vi.Priority < 1 || vi.Priority > 255 {
		return vrrp.InstanceConfig{}, bad("priority %d out of 1-255", vi.Priority)
	}
	if vi.UnicastTTL < 0 || vi.UnicastTTL > 255 {
		return vrrp.InstanceConfig{}, bad("unicast_ttl %d out of 1-255", vi.UnicastTTL)
	}
	ic := vrrp.InstanceConfig{
		Name:           vi.Name,
		Interface:      vi.Interface,
		VRID:           uint8(vi.VirtualRouterID),
		Version:        uint8(vi.Version),
		Priority:       uint8(vi.Priority),
		Interval:       vi.AdvertInt,
		InitialMaster:  vi.State == config.StateMaster,
		NoPreempt:      vi.NoPreempt,
		PreemptDelay:   vi.PreemptDelay,
		UnicastSrc:     vi.UnicastSrcIP,
		UnicastPeers:   append(vi.UnicastPeers[:0:0], vi.UnicastPeers...),
		UnicastTTL:     uint8(vi.UnicastTTL),
		V3ChecksumAsV2: vi.V3ChecksumAsV2,

		DontTrackPrimary: vi.DontTrackPrimary,

		GARPRepeat:        vi.GarpMasterRepeat,
		GARPDelay:         vi.GarpMasterDelay,
		GARPRefresh:       vi.GarpMasterRefresh,
		GARPRefreshRepeat: vi.GarpMasterRefreshRepeat,

		Notify: vrrp.NotifyConfig{
			Master: vi.NotifyMaster.Argv, Backup: vi.NotifyBackup.Argv, Fault: vi.NotifyFault.Argv,
			Stop: vi.NotifyStop.Argv, Notify: vi.Notify.Argv,
			MasterRxLowerPri: vi.NotifyEvents.MasterRxLowerPri.Argv, PriorityChanges: vi.NotifyEvents.PriorityChanges,
			NotifyDeleted: vi.NotifyEvents.Deleted, Deleted: vi.NotifyEvents.DeletedScript.Argv,
		},
	}
	if ic.GARPDelay == 0 {
		// keepalived: garp_master_delay 0 means no second burst; vrrp reads 0 as its default.
		ic.GARPDelay = -time.Nanosecond
	}
	if vi.Auth != nil {
		ic.AuthType, ic.AuthPass = vrrp.AuthPass, vi.Auth.Pass
	}
	for p, r := range vi.UnicastPeerTTL {
		if r.Min < 0 || r.Max > 255 || r.Min > r.Max {
			return vrrp.InstanceConfig{}, bad("unicast_peer %s: TTL range %d-%d", p, r.Min, r.Max)
		}
		if ic.UnicastPeerTTL == nil {
			ic.UnicastPeerTTL = map[netip.Addr]vrrp.TTLRange{}
		}
		ic.UnicastPeerTTL[p] = vrrp.TTLRange{Min: uint8(r.Min), Max: uint8(r.Max)}
	}
	for _, v := range vi.VirtualIPAddresses {
		ic.VIPs = append(ic.VIPs, vipOf(v, vi.Interface))
	}
	for _, v := range vi.VirtualIPAddressesExcl {
		ic.ExcludedVIPs = append(ic.ExcludedVIPs, vipOf(v, vi.Interface))
	}
	ic.VirtualRoutes, ic.VirtualRules = routesOf(vi.VirtualRoutes), rulesOf(vi.VirtualRules) // routes.go
	for _, t := range vi.TrackInterfaces {
		if t.Reverse {
			return vrrp.InstanceConfig{}, bad("track_interface %q reverse is not supported yet", t.Name)
		}
		ic.Track = append(ic.Track, vrrp.Track{Kind: vrrp.TrackInterface, Name: t.Name, Weight: t.Weight})
	}
	for _, t := range vi.TrackScripts {
		ic.Track = append(ic.Track, vrrp.Track{Kind: vrrp.TrackScript, Name: t.Name, Weight: t.Weight})
	}
	for _, t := range vi.TrackVirtualServers {
		ic.Track = append(ic.Track, vrrp.Track{Kind: vrrp.TrackVirtualServer, Name: t.VirtualServer, Weight: t.Weight})
	}
	for _, t := range vi.TrackFiles {
		ic.Track = append(ic.Track, vrrp.Track{Kind: vrrp.TrackFile, Name: t.Name, Weight: t.Weight, Reverse: t.Reverse})
	}
	for _, t := range vi.TrackProcesses {
		ic.Track = append(ic.Track, vrrp.Track{Kind: vrrp.TrackProcess, Name: t.Name, Weight: t.Weight, Reverse: t.Reverse})
	}
	applyVMAC(vi, &ic) // vmac.go
	if err := ic.Validate(); err != nil {
		return vrrp.InstanceConfig{}, err
	}
	return ic, nil
}

// vipOf translates one virtual_ipaddress entry. The device defaults to the instance's
// interface here already, so that two configs naming it or not compare equal.
func vipOf(v config.VIP, ifname string) vrrp.VIP {
	dev := v.Dev
	if dev == "" {
		dev = ifname
	}
	out := vrrp.VIP{Prefix: v.Prefix, Dev: dev, Label: v.Label, Scope: v.Scope}
	vipOptions(v, &out) // routes.go
	return out
}
