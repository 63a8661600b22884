package config_test

import (
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/halvs/halvs/config"
	"github.com/halvs/halvs/config/configtest"
)

// vi wraps lines (starting at line 4) in a minimal vrrp_instance; unless the lines set
// virtual_ipaddress, it ends with the VIP defaultVIP (an instance without VIPs draws a
// diagnostic of its own).
func vi(lines string) string {
	if !strings.Contains(lines, "virtual_ipaddress =") {
		lines += "  virtual_ipaddress = [\"" + defaultVIP + "\"]\n"
	}
	return "vrrp_instance \"VI_1\" {\n  interface = \"eth0\"\n  virtual_router_id = 51\n" + lines + "}\n"
}

const defaultVIP = "192.0.2.100"

func TestVRRPInstanceDefaults(t *testing.T) {
	tests := []struct {
		name  string
		lines string
		want  func(*config.VRRPInstance)
	}{
		{"backup", "", func(*config.VRRPInstance) {}},
		{"master without priority is the owner", "  state = \"MASTER\"\n", func(v *config.VRRPInstance) {
			v.State, v.Priority = config.StateMaster, 255
		}},
		{"priority 255 without state is master", "  priority = 255\n", func(v *config.VRRPInstance) {
			v.State, v.Priority = config.StateMaster, 255
		}},
		{"IPv6 VIPs run VRRPv3", "  virtual_ipaddress = [\"fe80::1/64\", \"2001:db8::1/64\"]\n", func(v *config.VRRPInstance) {
			v.Version, v.Family = 3, config.IPv6
			v.VirtualIPAddresses = []config.VIP{{Prefix: netip.MustParsePrefix("fe80::1/64")}, {Prefix: netip.MustParsePrefix("2001:db8::1/64")}}
		}},
		{"sub-second v3", "  version = 3\n  advert_int = \"100ms\"\n", func(v *config.VRRPInstance) {
			v.Version, v.AdvertInt = 3, 100*time.Millisecond
		}},
		{"v3 fractional seconds", "  version = 3\n  advert_int = 0.05\n", func(v *config.VRRPInstance) {
			v.Version, v.AdvertInt = 3, 50*time.Millisecond
		}},
		{"nopreempt", "  nopreempt = true\n", func(v *config.VRRPInstance) { v.NoPreempt = true }},
		{"preempt_delay", "  preempt_delay = 30\n", func(v *config.VRRPInstance) { v.PreemptDelay = 30 * time.Second }},
		{"auth and unicast", "  authentication {\n    auth_type = \"PASS\"\n    auth_pass = \"1111\"\n  }\n  unicast_src_ip = \"10.0.0.1\"\n  unicast_peer = [\"10.0.0.2\"]\n",
			func(v *config.VRRPInstance) {
				v.Auth = &config.Auth{Type: config.AuthPass, Pass: "1111"}
				v.UnicastSrcIP = netip.MustParseAddr("10.0.0.1")
				v.UnicastPeers = []netip.Addr{netip.MustParseAddr("10.0.0.2")}
			}},
		{"unicast across routers", "  unicast_ttl = 64\n  unicast_peer = [\"10.0.0.2\", \"10.0.0.3 min_ttl 250\", \"10.0.0.4 max_ttl 254 min_ttl 1\"]\n",
			func(v *config.VRRPInstance) {
				v.UnicastTTL = 64
				v.UnicastPeers = []netip.Addr{netip.MustParseAddr("10.0.0.2"), netip.MustParseAddr("10.0.0.3"), netip.MustParseAddr("10.0.0.4")}
				v.UnicastPeerTTL = map[netip.Addr]config.TTLRange{
					netip.MustParseAddr("10.0.0.3"): {Min: 250, Max: 255},
					netip.MustParseAddr("10.0.0.4"): {Min: 1, Max: 254},
				}
			}},
		{"dont_track_primary", "  dont_track_primary = true\n", func(v *config.VRRPInstance) { v.DontTrackPrimary = true }},
		{"VIP string form", "  virtual_ipaddress = [\"10.10.10.22/24 brd 10.10.10.255 dev eth1 scope link label eth1:0 no_track\"]\n  virtual_ipaddress_excluded = [\"2001:db8::9\"]\n",
			func(v *config.VRRPInstance) {
				v.VirtualIPAddresses = []config.VIP{{Prefix: netip.MustParsePrefix("10.10.10.22/24"), Broadcast: netip.MustParseAddr("10.10.10.255"),
					Dev: "eth1", Scope: "link", Label: "eth1:0"}}
				v.VirtualIPAddressesExcl = []config.VIP{{Prefix: netip.MustParsePrefix("2001:db8::9/128")}}
			}},
		{"tracking", "  track_interface = [\"eth1\", \"eth2 weight -5 reverse\"]\n  track_script = [\"chk\", \"chk weight 7\"]\n",
			func(v *config.VRRPInstance) {
				v.TrackInterfaces = []config.TrackInterface{{Name: "eth1"}, {Name: "eth2", Weight: -5, Reverse: true}}
				v.TrackScripts = []config.TrackScript{{Name: "chk", Weight: -20}, {Name: "chk", Weight: 7}}
			}},
		{"notify scripts", "  notify_master = \"/bin/notify 'two words' x\"\n  notify = [\"/bin/n\", \"a b\"]\n  notify_fifo = \"/run/f\"\n",
			func(v *config.VRRPInstance) {
				v.NotifyMaster = config.Script{Argv: []string{"/bin/notify", "two words", "x"}}
				v.Notify = config.Script{Argv: []string{"/bin/n", "a b"}}
				v.NotifyFifo = "/run/f"
			}},
		{"garp overrides", "  garp_master_delay = 10\n  garp_master_repeat = 1\n  garp_master_refresh = 60\n  garp_master_refresh_repeat = 2\n",
			func(v *config.VRRPInstance) {
				v.GarpMasterDelay, v.GarpMasterRepeat, v.GarpMasterRefresh, v.GarpMasterRefreshRepeat = 10*time.Second, 1, time.Minute, 2
			}},
	}
	script := "vrrp_script \"chk\" {\n  script = \"/bin/true\"\n  weight = -20\n}\n"
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := mustParse(t, vi(tc.lines)+script)
			want := config.VRRPInstance{Name: "VI_1", State: config.StateBackup, Interface: "eth0", VirtualRouterID: 51,
				Priority: 100, AdvertInt: time.Second, Version: 2, Family: config.IPv4, UnicastTTL: 255,
				GarpMasterDelay: 5 * time.Second, GarpMasterRepeat: 5, GarpMasterRefreshRepeat: 1,
				Timing:             config.InstanceTiming{GarpLowerPrioRepeat: 5, GarpLowerPrioDelay: 5 * time.Second},
				VirtualIPAddresses: []config.VIP{{Prefix: netip.MustParsePrefix(defaultVIP + "/32")}}}
			tc.want(&want)
			if diff := cmp.Diff(want, cfg.VRRPInstances[0], configtest.IgnorePositions()); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestVRRPInstanceValidation(t *testing.T) {
	runDiagCases(t, []diagCase{
		{name: "vrid 0", src: "vrrp_instance \"VI_1\" {\n  interface = \"eth0\"\n  virtual_router_id = 0\n  virtual_ipaddress = [\"192.0.2.1\"]\n}\n",
			want: []string{"3:23: error: virtual_router_id must be a whole number from 1 to 255, not 0"}},
		{name: "vrid missing", src: "vrrp_instance \"VI_1\" {\n  interface = \"eth0\"\n  virtual_ipaddress = [\"192.0.2.1\"]\n}\n",
			want: []string{"1:1: error: vrrp_instance \"VI_1\" needs virtual_router_id"}},
		{name: "interface missing", src: "vrrp_instance \"VI_1\" {\n  virtual_router_id = 1\n  virtual_ipaddress = [\"192.0.2.1\"]\n}\n",
			want: []string{"1:1: error: vrrp_instance \"VI_1\" needs interface"}},
		{name: "no name", src: "vrrp_instance {\n}\n", want: []string{"1:1: error: vrrp_instance needs exactly one name"}},
		{name: "priority 0", src: vi("  priority = 0\n"), want: []string{"4:14: error: priority must be a whole number from 1 to 255, not 0"}},
		{name: "priority 256", src: vi("  priority = 256\n"), want: []string{"4:14: error: priority must be a whole number from 1 to 255"}},
		{name: "priority 255 backup", src: vi("  state = \"BACKUP\"\n  priority = 255\n"), want: []string{"5:14: error: priority 255 means address owner"}},
		{name: "priority 255 without state", src: vi("  priority = 255\n")},
		{name: "preempt_delay with master", src: vi("  state = \"MASTER\"\n  preempt_delay = 5\n"), want: []string{`5:19: warning: preempt_delay has no effect with state = "MASTER"`}},
		{name: "preempt_delay with priority 255", src: vi("  priority = 255\n  preempt_delay = 5\n"), want: []string{`5:19: warning: preempt_delay has no effect with state = "MASTER"`}},
		{name: "preempt_delay with nopreempt", src: vi("  nopreempt = true\n  preempt_delay = 5\n"), want: []string{`5:19: warning: preempt_delay has no effect with nopreempt = true`}},
		{name: "no VIPs v2", src: "vrrp_instance \"VI_1\" {\n  interface = \"eth0\"\n  virtual_router_id = 1\n}\n",
			want: []string{`1:1: warning: vrrp_instance "VI_1" has no virtual_ipaddress; at least one is sensible`}},
		{name: "no VIPs v3", src: "vrrp_instance \"VI_1\" {\n  interface = \"eth0\"\n  virtual_router_id = 1\n  version = 3\n  virtual_ipaddress = []\n  virtual_ipaddress_excluded = [\"192.0.2.1\"]\n}\n",
			want: []string{`1:1: error: vrrp_instance "VI_1" has no virtual_ipaddress; VRRPv3 needs at least one`}},
		{name: "IPv6 first VIP not link-local", src: vi("  virtual_ipaddress = [\"2001:db8::1\", \"fe80::1\"]\n"),
			want: []string{`4:24: warning: the first IPv6 virtual_ipaddress 2001:db8::1 should be link-local`}},
		{name: "IPv6 unicast need no link-local", src: vi("  virtual_ipaddress = [\"2001:db8::1\"]\n  unicast_peer = [\"2001:db8::2\"]\n")},
		{name: "interface too long", src: "vrrp_instance \"VI_1\" {\n  interface = \"abcdefghijklmnop\"\n  virtual_router_id = 1\n  virtual_ipaddress = [\"192.0.2.1\"]\n}\n",
			want: []string{`2:15: error: interface: "abcdefghijklmnop" is 16 characters; interface names have at most 15`}},
		{name: "interface of 15 is fine", src: "vrrp_instance \"VI_1\" {\n  interface = \"abcdefghijklmno\"\n  virtual_router_id = 1\n  virtual_ipaddress = [\"192.0.2.1\"]\n}\n"},
		{name: "VIP dev too long", src: vi("  virtual_ipaddress = [\"10.0.0.1\", \"10.0.0.2 dev abcdefghijklmnop\"]\n"),
			want: []string{`4:36: error: virtual_ipaddress entry "10.0.0.2 dev abcdefghijklmnop": dev: "abcdefghijklmnop" is 16 characters`}},
		{name: "VIP label too long", src: vi("  virtual_ipaddress = [\"10.0.0.1 label eth0:abcdefghijk\"]\n"),
			want: []string{`4:24: error: virtual_ipaddress entry "10.0.0.1 label eth0:abcdefghijk": label "eth0:abcdefghijk" is 16 characters; the kernel allows 15`}},
		{name: "track_interface too long", src: vi("  track_interface = [\"abcdefghijklmnop weight 2\"]\n"),
			want: []string{`4:22: error: track_interface entry "abcdefghijklmnop weight 2": "abcdefghijklmnop" is 16 characters`}},
		{name: "no_track has no effect", src: vi("  virtual_ipaddress = [\"10.0.0.1\", \"10.0.0.2 no_track\"]\n"),
			want: []string{`4:36: warning: no_track is accepted for compatibility but has no effect in halvs`}},
		{name: "accept is the default", src: vi("  accept = true\n")},
		{name: "no_accept refused", src: vi("  accept = false\n"), want: []string{`4:12: error: accept = false (keepalived's no_accept) is not supported: keepalived enforces it with firewall rules that drop all traffic to the VIPs`}},
		{name: "dont_track_primary has an effect", src: vi("  dont_track_primary = true\n")},
		{name: "state", src: vi("  state = \"SLAVE\"\n"), want: []string{`4:11: error: state must be "MASTER" or "BACKUP", not "SLAVE"`}},
		{name: "state case", src: vi("  state = \"backup\"\n"), want: []string{`4:11: error: state must be "MASTER" or "BACKUP", not "backup"; did you mean "BACKUP"?`}},
		{name: "nopreempt with master", src: vi("  state = \"MASTER\"\n  nopreempt = true\n"), want: []string{`5:15: warning: nopreempt has no effect with state = "MASTER"`}},
		{name: "v2 fractional advert", src: vi("  advert_int = 1.5\n"), want: []string{"4:16: error: advert_int 1.5s: VRRPv2 carries whole seconds"}},
		{name: "v2 advert too long", src: vi("  advert_int = 256\n"), want: []string{"4:16: error: advert_int 4m16s: VRRPv2 carries whole seconds from 1 to 255"}},
		{name: "v3 advert too short", src: vi("  version = 3\n  advert_int = \"5ms\"\n"), want: []string{"5:16: error: advert_int 5ms: VRRPv3 allows 10ms to 40.95s"}},
		{name: "v3 advert too long", src: vi("  version = 3\n  advert_int = 41\n"), want: []string{"5:16: error: advert_int 41s: VRRPv3 allows 10ms to 40.95s"}},
		{name: "v3 advert resolution", src: vi("  version = 3\n  advert_int = \"15ms\"\n"), want: []string{"5:16: error: VRRPv3 carries centiseconds"}},
		{name: "v6 in v2", src: vi("  version = 2\n  virtual_ipaddress = [\"fe80::1\"]\n"), want: []string{"4:13: error: VRRPv2 is IPv4 only"}},
		{name: "mixed families", src: vi("  virtual_ipaddress = [\"10.0.0.1\", \"2001:db8::1\"]\n"),
			want: []string{"4:36: error: virtual_ipaddress 2001:db8::1 is IPv6 but the first entry is IPv4"}},
		{name: "VIP not an address", src: vi("  virtual_ipaddress = [\"10.0.0.256\"]\n"),
			want: []string{`4:24: error: virtual_ipaddress entry "10.0.0.256": "10.0.0.256" is not an IP address`}},
		{name: "VIP option", src: vi("  virtual_ipaddress = [\"10.0.0.1 dev\"]\n"), want: []string{`4:24: error: virtual_ipaddress entry "10.0.0.1 dev": dev needs a value`}},
		{name: "VIP scope", src: vi("  virtual_ipaddress = [\"10.0.0.1 scope world\"]\n"), want: []string{`4:24: error: virtual_ipaddress entry "10.0.0.1 scope world": scope "world" is not one of`}},
		{name: "VIP twice", src: vi("  virtual_ipaddress = [\"10.0.0.1\", \"10.0.0.1/24\"]\n"), want: []string{"4:36: error: VIP 10.0.0.1 is already a VIP of this instance"}},
		{name: "VIP list type", src: vi("  virtual_ipaddress = \"10.0.0.1\"\n"), want: []string{"4:23: error: virtual_ipaddress must be a list of strings"}},
		{name: "AH refused", src: vi("  authentication {\n    auth_type = \"AH\"\n    auth_pass = \"x\"\n  }\n"),
			want: []string{"5:17: error: auth_type AH is not supported; use PASS or none"}},
		{name: "auth with v3", src: vi("  version = 3\n  authentication {\n    auth_pass = \"x\"\n  }\n"),
			want: []string{`1:1: error: vrrp_instance "VI_1": VRRPv3 has no authentication`}},
		{name: "auth without pass", src: vi("  authentication {\n    auth_type = \"PASS\"\n  }\n"), want: []string{"4:3: error: authentication needs auth_pass"}},
		{name: "long password", src: vi("  authentication {\n    auth_pass = \"123456789\"\n  }\n"), want: []string{`5:17: warning: auth_pass is 9 bytes; VRRPv2 sends only the first 8 ("12345678")`}},
		{name: "two authentication blocks", src: vi("  authentication {\n    auth_pass = \"a\"\n  }\n  authentication {\n    auth_pass = \"a\"\n  }\n"),
			want: []string{"7:3: error: duplicate authentication block"}},
		{name: "track_script unknown", src: vi("  track_script = [\"chk_httpd\"]\n") + "vrrp_script \"chk_http\" {\n  script = \"/bin/true\"\n}\n",
			want: []string{`4:19: error: track_script "chk_httpd" names no vrrp_script; did you mean "chk_http"?`}},
		{name: "track weight range", src: vi("  track_interface = [\"eth1 weight 300\"]\n"), want: []string{`4:22: error: track_interface entry "eth1 weight 300": weight "300" must be a whole number from -253 to 253`}},
		{name: "track junk", src: vi("  track_interface = [\"eth1 wieght 3\"]\n"), want: []string{`4:22: error: track_interface entry "eth1 wieght 3": unexpected "wieght"`}},
		{name: "track_virtual_server unknown", src: vi("  track_virtual_server = [\"10.0.0.1:80 weight -50\"]\n"),
			want: []string{`4:27: error: track_virtual_server "10.0.0.1:80" names no virtual_server`}},
		{name: "unicast peer is self", src: vi("  unicast_src_ip = \"10.0.0.1\"\n  unicast_peer = [\"10.0.0.1\"]\n"),
			want: []string{"5:19: error: unicast_peer 10.0.0.1 is this director's own unicast_src_ip"}},
		{name: "unicast peer twice names the entry", src: vi("  unicast_peer = [\"10.0.0.2\", \"10.0.0.3\", \"10.0.0.2\"]\n"),
			want: []string{"4:43: error: unicast_peer 10.0.0.2 is listed twice"}},
		{name: "unicast family", src: vi("  virtual_ipaddress = [\"10.0.0.9\"]\n  unicast_src_ip = \"2001:db8::1\"\n"),
			want: []string{"5:20: error: unicast_src_ip 2001:db8::1 is IPv6 but the instance is IPv4", "5:20: warning: unicast_src_ip without unicast_peer"}},
		{name: "unicast peer not an address", src: vi("  unicast_peer = [\"10.0.0.256 min_ttl 3\"]\n"),
			want: []string{`4:19: error: unicast_peer: "10.0.0.256" is not an IP address`}},
		{name: "unicast peer option", src: vi("  unicast_peer = [\"10.0.0.2\", \"10.0.0.3 ttl 3\"]\n"),
			want: []string{`4:31: error: unicast_peer: unexpected "ttl"; the form is "ADDRESS [min_ttl N] [max_ttl N]"`}},
		{name: "unicast peer ttl range", src: vi("  unicast_peer = [\"10.0.0.2 min_ttl 256\"]\n"),
			want: []string{`4:19: error: unicast_peer: min_ttl "256" must be a whole number from 0 to 255`}},
		{name: "unicast peer ttl missing", src: vi("  unicast_peer = [\"10.0.0.2 max_ttl\"]\n"),
			want: []string{`4:19: error: unicast_peer: max_ttl needs a TTL from 0 to 255`}},
		{name: "unicast peer ttl twice", src: vi("  unicast_peer = [\"10.0.0.2 min_ttl 1 min_ttl 2\"]\n"),
			want: []string{`4:19: error: unicast_peer: min_ttl given twice`}},
		{name: "unicast peer drops everything", src: vi("  unicast_peer = [\"10.0.0.2 min_ttl 255 max_ttl 250\"]\n"),
			want: []string{`4:19: error: unicast_peer: min_ttl 255 is above max_ttl 250: every advert from 10.0.0.2 would be dropped`}},
		{name: "unicast_ttl range", src: vi("  unicast_peer = [\"10.0.0.2\"]\n  unicast_ttl = 0\n"),
			want: []string{`5:17: error: unicast_ttl must be a whole number from 1 to 255, not 0`}},
		{name: "unicast_ttl without peers", src: vi("  unicast_ttl = 64\n"),
			want: []string{`4:17: error: unicast_ttl sets the TTL of unicast adverts, but this instance has no unicast_peer`}},
		{name: "preempt_delay", src: vi("  preempt_delay = 1001\n"), want: []string{"4:19: error: preempt_delay must be from 0 to 1000 seconds"}},
		{name: "old keyword", src: vi("  no_accept = true\n"), want: []string{`4:3: error: unknown keyword "no_accept" in vrrp_instance "VI_1"; write accept = false`}},
		{name: "empty script", src: vi("  notify_master = \"\"\n"), want: []string{"4:19: error: notify_master names no program"}},
		{name: "unterminated quote", src: vi("  notify_master = \"/bin/x 'a b\"\n"), want: []string{"4:19: error: notify_master: unterminated ' quote"}},
		{name: "duplicate vrid on interface", src: vi("") + "vrrp_instance \"VI_2\" {\n  interface = \"eth0\"\n  virtual_router_id = 51\n  virtual_ipaddress = [\"192.0.2.2\"]\n}\n",
			want: []string{`8:23: error: vrrp_instance "VI_2" and "VI_1" (t.hcl:1:1) both use virtual_router_id 51 for IPv4 on eth0`}},
		{name: "same vrid other family is fine", src: vi("") + "vrrp_instance \"VI_2\" {\n  interface = \"eth0\"\n  virtual_router_id = 51\n  virtual_ipaddress = [\"fe80::1\"]\n}\n"},
		{name: "same vrid disjoint unicast is fine", src: vi("  unicast_peer = [\"10.0.0.2\"]\n") + "vrrp_instance \"VI_2\" {\n  interface = \"eth0\"\n  virtual_router_id = 51\n  unicast_peer = [\"10.0.0.3\"]\n  virtual_ipaddress = [\"192.0.2.2\"]\n}\n"},
		{name: "VIP in two instances", src: vi("  virtual_ipaddress = [\"10.0.0.1\"]\n") + "vrrp_instance \"VI_2\" {\n  interface = \"eth0\"\n  virtual_router_id = 52\n  virtual_ipaddress = [\"10.0.0.1/24\"]\n}\n",
			want: []string{`9:24: error: VIP 10.0.0.1 is already a VIP of vrrp_instance "VI_1"`}},
		{name: "instance defined twice", src: vi("") + vi(""), want: []string{`6:1: error: vrrp_instance "VI_1" is defined twice (first at t.hcl:1:1)`}},
	})
}

func TestVRRPScriptAndSyncGroup(t *testing.T) {
	cfg := mustParse(t, vi("")+`vrrp_instance "VI_2" {
  interface = "eth1"
  virtual_router_id = 52
}
vrrp_script "chk" {
  script = "/usr/bin/pgrep -x haproxy"
  interval = 2
  weight = -20
  rise = 2
  fall = 3
  user = "nobody nogroup"
}
vrrp_sync_group "G1" {
  group = ["VI_1", "VI_2"]
  notify_master = "/bin/master"
}
`)
	wantScript := config.VRRPScript{Name: "chk", Script: config.Script{Argv: []string{"/usr/bin/pgrep", "-x", "haproxy"}},
		Interval: 2 * time.Second, Timeout: 2 * time.Second, Weight: -20, Rise: 2, Fall: 3, User: "nobody", Group: "nogroup"}
	if diff := cmp.Diff([]config.VRRPScript{wantScript}, cfg.VRRPScripts, configtest.IgnorePositions()); diff != "" {
		t.Errorf("vrrp_script (-want +got):\n%s", diff)
	}
	wantGroup := config.VRRPSyncGroup{Name: "G1", Group: []string{"VI_1", "VI_2"}, NotifyMaster: config.Script{Argv: []string{"/bin/master"}}}
	if diff := cmp.Diff([]config.VRRPSyncGroup{wantGroup}, cfg.VRRPSyncGroups, configtest.IgnorePositions()); diff != "" {
		t.Errorf("vrrp_sync_group (-want +got):\n%s", diff)
	}
	def := mustParse(t, "vrrp_script \"s\" {\n  script = \"/bin/true\"\n}\n").VRRPScripts[0]
	if def.Interval != time.Second || def.Timeout != time.Second || def.Rise != 1 || def.Fall != 1 || def.Weight != 0 {
		t.Errorf("vrrp_script defaults = %+v, want interval 1s, timeout 1s, rise 1, fall 1, weight 0", def)
	}
}

func TestVRRPScriptAndSyncGroupValidation(t *testing.T) {
	runDiagCases(t, []diagCase{
		{name: "script missing", src: "vrrp_script \"s\" {\n}\n", want: []string{`1:1: error: vrrp_script "s" needs script`}},
		{name: "weight range", src: "vrrp_script \"s\" {\n  script = \"/bin/true\"\n  weight = -254\n}\n",
			want: []string{"3:12: error: weight must be a whole number from -253 to 253, not -254"}},
		{name: "rise 0", src: "vrrp_script \"s\" {\n  script = \"/bin/true\"\n  rise = 0\n}\n", want: []string{"3:10: error: rise must be a whole number from 1"}},
		{name: "group names no instance", src: vi("") + "vrrp_sync_group \"G\" {\n  group = [\"VI_1\", \"VI_3\"]\n}\n",
			want: []string{`7:20: error: vrrp_sync_group "G": "VI_3" names no vrrp_instance; did you mean "VI_1"?`}},
		{name: "instance in two groups", src: vi("") + "vrrp_sync_group \"G\" {\n  group = [\"VI_1\"]\n}\nvrrp_sync_group \"H\" {\n  group = [\"VI_1\"]\n}\n",
			want: []string{`10:12: error: vrrp_instance "VI_1" is already in vrrp_sync_group "G"`, `7:11: warning: vrrp_sync_group "G" has only one instance`, `10:11: warning: vrrp_sync_group "H" has only one instance`}},
		{name: "group missing", src: "vrrp_sync_group \"G\" {\n}\n", want: []string{`1:1: error: vrrp_sync_group "G" needs group`}},
	})
}
