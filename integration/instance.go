//go:build integration

package integration

import (
	"fmt"
	"net/netip"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Instance describes the one vrrp_instance a test director runs. Render turns it into the
// configuration file of either implementation, so a test states the scenario once.
type Instance struct {
	Name      string // default "VI_1"
	State     string // "MASTER" or "BACKUP" (default)
	VRID      int    // default 51
	Priority  int    // default 100
	Version   int    // 2 (default) or 3
	Interval  time.Duration
	AuthPass  string // VRRPv2 PASS authentication; "" for none
	VIPs      []netip.Prefix
	NoPreempt bool
	Unicast   bool // unicast to the other director's IPv4 address instead of multicast
	// PeerOptions follow the peer's address in its unicast_peer entry: "min_ttl 255".
	PeerOptions string
	// DontTrackPrimary: the interface going down is no fault (dont_track_primary).
	DontTrackPrimary bool
	// UseVMAC puts the VIPs on keepalived's use_vmac macvlan (vrrp.VRID), adverts from it.
	UseVMAC bool
	// ExtraPeers are unicast peers after the other director (Unicast only).
	ExtraPeers []netip.Addr
	// Scripts are vrrp_script checks the instance tracks (track_script), each with its weight.
	Scripts []Script
	// HCLTop is written into halvs' configuration before the vrrp_instance (track_file and
	// vrrp_track_process blocks, another instance, a sync group); HCLInstance inside it;
	// HCLGlobal inside the global block (metrics_listen).
	HCLTop, HCLInstance, HCLGlobal string
	// KAGlobal and KAInstance are keepalived.conf lines for global_defs and the
	// vrrp_instance (vrrp_rt_priority, lower_prio_no_advert).
	KAGlobal, KAInstance string
}

// Script is a vrrp_script run every second and tracked by the instance with Weight.
type Script struct {
	Name, Path string
	Weight     int
}

func (in Instance) withDefaults() Instance {
	if in.Name == "" {
		in.Name = "VI_1"
	}
	if in.State == "" {
		in.State = "BACKUP"
	}
	if in.VRID == 0 {
		in.VRID = 51
	}
	if in.Priority == 0 {
		in.Priority = 100
	}
	if in.Version == 0 {
		in.Version = 2
	}
	if in.Interval == 0 {
		in.Interval = time.Second
	}
	if len(in.VIPs) == 0 {
		in.VIPs = []netip.Prefix{netip.PrefixFrom(VIP4, 32)}
	}
	return in
}

// SkewTime is RFC 5798's Skew_Time for this instance's priority (RFC 3768's for version 2:
// whole seconds, independent of the interval).
func (in Instance) SkewTime() time.Duration {
	in = in.withDefaults()
	if in.Version == 2 {
		return time.Duration(256-in.Priority) * time.Second / 256
	}
	return time.Duration(256-in.Priority) * in.Interval / 256
}

// MasterDownInterval is 3 × interval + Skew_Time.
func (in Instance) MasterDownInterval() time.Duration {
	in = in.withDefaults()
	return 3*in.Interval + in.SkewTime()
}

// Render returns the configuration file for impl running in on node (peer is the other
// director, used for unicast). dir is the process's own directory: halvs' control socket goes
// there, since a socket path is shared by every namespace on the host.
func (in Instance) Render(impl Impl, node, peer *Node, dir string) string {
	in = in.withDefaults()
	if impl == Keepalived {
		return in.keepalivedConf(node, peer)
	}
	return in.halvsHCL(node, peer, dir)
}

// interval formats d as keepalived's advert_int (seconds, with a fraction when needed).
func interval(d time.Duration) string {
	return strconv.FormatFloat(d.Seconds(), 'f', -1, 64)
}

func (in Instance) keepalivedConf(node, peer *Node) string {
	var b strings.Builder
	fmt.Fprintf(&b, "global_defs {\n  router_id %s\n  vrrp_version %d\n%s}\n\n", node.Name, in.Version, in.KAGlobal)
	for _, s := range in.Scripts {
		fmt.Fprintf(&b, "vrrp_script %s {\n  script %q\n  interval 1\n  weight %d\n}\n\n", s.Name, s.Path, s.Weight)
	}
	fmt.Fprintf(&b, "vrrp_instance %s {\n  state %s\n  interface %s\n  virtual_router_id %d\n  priority %d\n  advert_int %s\n",
		in.Name, in.State, node.If, in.VRID, in.Priority, interval(in.Interval))
	fmt.Fprintf(&b, "  version %d\n", in.Version)
	if in.NoPreempt {
		b.WriteString("  nopreempt\n")
	}
	if in.DontTrackPrimary {
		b.WriteString("  dont_track_primary\n")
	}
	if in.UseVMAC {
		b.WriteString("  use_vmac\n")
	}
	b.WriteString(in.KAInstance)
	if in.AuthPass != "" {
		fmt.Fprintf(&b, "  authentication {\n    auth_type PASS\n    auth_pass %s\n  }\n", in.AuthPass)
	}
	if in.Unicast {
		fmt.Fprintf(&b, "  unicast_src_ip %s\n  unicast_peer {\n    %s\n  }\n", node.Addr4, strings.Join(in.peerEntries(peer), "\n    "))
	}
	if len(in.Scripts) > 0 {
		b.WriteString("  track_script {\n")
		for _, s := range in.Scripts {
			fmt.Fprintf(&b, "    %s\n", s.Name)
		}
		b.WriteString("  }\n")
	}
	b.WriteString("  virtual_ipaddress {\n")
	for _, v := range in.VIPs {
		fmt.Fprintf(&b, "    %s\n", v)
	}
	b.WriteString("  }\n}\n")
	return b.String()
}

func (in Instance) halvsHCL(node, peer *Node, dir string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "global {\n  router_id = %q\n  control_socket = %q\n%s}\n\n", node.Name, filepath.Join(dir, "halvs.sock"), in.HCLGlobal)
	var tracked []string
	for _, s := range in.Scripts {
		fmt.Fprintf(&b, "vrrp_script %q {\n  script = %q\n  interval = \"1s\"\n  weight = %d\n}\n\n", s.Name, s.Path, s.Weight)
		tracked = append(tracked, strconv.Quote(s.Name))
	}
	b.WriteString(in.HCLTop)
	fmt.Fprintf(&b, "vrrp_instance %q {\n  state = %q\n  interface = %q\n  virtual_router_id = %d\n  priority = %d\n  advert_int = %q\n  version = %d\n",
		in.Name, in.State, node.If, in.VRID, in.Priority, in.Interval.String(), in.Version)
	if in.NoPreempt {
		b.WriteString("  nopreempt = true\n")
	}
	if in.DontTrackPrimary {
		b.WriteString("  dont_track_primary = true\n")
	}
	if in.UseVMAC {
		b.WriteString("  use_vmac = true\n")
	}
	if in.AuthPass != "" {
		fmt.Fprintf(&b, "  authentication {\n    auth_type = \"PASS\"\n    auth_pass = %q\n  }\n", in.AuthPass)
	}
	if in.Unicast {
		peers := in.peerEntries(peer)
		for i, p := range peers {
			peers[i] = strconv.Quote(p)
		}
		fmt.Fprintf(&b, "  unicast_src_ip = %q\n  unicast_peer = [%s]\n", node.Addr4, strings.Join(peers, ", "))
	}
	if len(tracked) > 0 {
		fmt.Fprintf(&b, "  track_script = [%s]\n", strings.Join(tracked, ", "))
	}
	b.WriteString(in.HCLInstance)
	vips := make([]string, len(in.VIPs))
	for i, v := range in.VIPs {
		vips[i] = strconv.Quote(v.String())
	}
	fmt.Fprintf(&b, "  virtual_ipaddress = [%s]\n}\n", strings.Join(vips, ", "))
	return b.String()
}

// peerEntries are the unicast_peer entries: the other director (with PeerOptions), then
// ExtraPeers.
func (in Instance) peerEntries(peer *Node) []string {
	out := []string{strings.TrimSpace(peer.Addr4.String() + " " + in.PeerOptions)}
	for _, a := range in.ExtraPeers {
		out = append(out, a.String())
	}
	return out
}
