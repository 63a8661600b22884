package config_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/halvs/halvs/config"
	"github.com/halvs/halvs/config/configtest"
)

func TestGlobalDefaults(t *testing.T) {
	got := mustParse(t, "").Global
	want := config.Global{VRRPVersion: 2, VRRPGarpMasterDelay: 5 * time.Second, VRRPGarpMasterRepeat: 5,
		VRRPGarpMasterRefreshRepeat: 1, ControlSocket: "/run/halvs.sock",
		LVSSyncPreemptDelay: config.DefaultLVSSyncPreemptDelay,
		Timing: config.GlobalTiming{McastGroup4: config.DefaultMcastGroup4, McastGroup6: config.DefaultMcastGroup6,
			GarpLowerPrioRepeat: 5, GarpLowerPrioDelay: 5 * time.Second}}
	if diff := cmp.Diff(want, got, configtest.IgnorePositions()); diff != "" {
		t.Errorf("defaults (-want +got):\n%s", diff)
	}
}

func TestGlobalValues(t *testing.T) {
	cfg := mustParse(t, `
global {
  router_id              = "LVS_DEVEL"
  script_user            = "keepalived_script nogroup"
  enable_script_security = true
  vrrp_version           = 3
  vrrp_garp_master_delay = "1.5s"
  vrrp_garp_master_repeat = 2
  vrrp_garp_master_refresh = 60
  control_socket = "/tmp/h.sock"
  metrics_listen = ":9650"
  lvs_sync_daemon {
    interface = "eth1"
    instance  = "VI_1"
  }
  lvs_timeouts {
    tcp    = 900
    tcpfin = "2m"
  }
}
vrrp_instance "VI_1" {
  interface = "eth0"
  virtual_router_id = 42
  virtual_ipaddress = ["192.0.2.1"]
}
`)
	want := config.Global{RouterID: "LVS_DEVEL", ScriptUser: "keepalived_script", ScriptGroup: "nogroup",
		EnableScriptSecurity: true, VRRPVersion: 3, VRRPGarpMasterDelay: 1500 * time.Millisecond,
		VRRPGarpMasterRepeat: 2, VRRPGarpMasterRefresh: time.Minute, VRRPGarpMasterRefreshRepeat: 1,
		ControlSocket: "/tmp/h.sock", MetricsListen: ":9650",
		LVSSyncDaemon:       &config.LVSSyncDaemon{Interface: "eth1", Instance: "VI_1", SyncID: 42},
		LVSTimeouts:         &config.LVSTimeouts{TCP: 900 * time.Second, TCPFin: 2 * time.Minute},
		LVSSyncPreemptDelay: config.DefaultLVSSyncPreemptDelay,
		Timing: config.GlobalTiming{McastGroup4: config.DefaultMcastGroup4, McastGroup6: config.DefaultMcastGroup6,
			GarpLowerPrioRepeat: 2, GarpLowerPrioDelay: 1500 * time.Millisecond}}
	if diff := cmp.Diff(want, cfg.Global, configtest.IgnorePositions()); diff != "" {
		t.Errorf("global (-want +got):\n%s", diff)
	}
	if v := cfg.VRRPInstances[0].Version; v != 3 {
		t.Errorf("instance version = %d, want the global vrrp_version 3", v)
	}
}

func TestGlobalValidation(t *testing.T) {
	runDiagCases(t, []diagCase{
		{name: "vrrp_version", src: "global {\n  vrrp_version = 4\n}\n",
			want: []string{"2:18: error: vrrp_version must be a whole number from 2 to 3, not 4"}},
		{name: "unknown keyword suggests", src: "global {\n  routerid = \"x\"\n}\n",
			want: []string{`2:3: error: unknown keyword "routerid" in global; did you mean "router_id"?`}},
		{name: "string expected", src: "global {\n  router_id = 5\n}\n",
			want: []string{`2:15: error: router_id must be a string in quotes`}},
		{name: "bool expected", src: "global {\n  enable_script_security = \"yes\"\n}\n",
			want: []string{`2:28: error: enable_script_security must be true or false`}},
		{name: "bad duration", src: "global {\n  vrrp_garp_master_delay = \"5 sec\"\n}\n",
			want: []string{`2:28: error: vrrp_garp_master_delay: "5 sec" is not a duration`}},
		{name: "negative duration", src: "global {\n  vrrp_garp_master_delay = -1\n}\n",
			want: []string{`2:28: error: vrrp_garp_master_delay must be a duration from 0`}},
		{name: "metrics_listen", src: "global {\n  metrics_listen = \"9650\"\n}\n",
			want: []string{`2:20: error: metrics_listen "9650" must be HOST:PORT`}},
		{name: "sync daemon instance", src: "global {\n  lvs_sync_daemon {\n    interface = \"eth1\"\n    instance = \"VI_2\"\n  }\n}\n",
			want: []string{`4:16: error: lvs_sync_daemon instance "VI_2" names no vrrp_instance`}},
		{name: "sync daemon needs interface", src: "global {\n  lvs_sync_daemon {\n  }\n}\n",
			want: []string{`2:3: error: lvs_sync_daemon needs interface`, `2:3: error: lvs_sync_daemon needs instance`}},
		{name: "lvs_timeouts whole seconds", src: "global {\n  lvs_timeouts {\n    udp = 1.5\n  }\n}\n",
			want: []string{`3:11: error: lvs_timeouts udp must be whole seconds`}},
		{name: "lvs_timeouts over 31 days", src: "global {\n  lvs_timeouts {\n    tcp = 2678401\n  }\n}\n",
			want: []string{`3:11: error: lvs_timeouts tcp must be at most 2678400 seconds`}},
		{name: "sync daemon interface too long", src: "global {\n  lvs_sync_daemon {\n    interface = \"abcdefghijklmnop\"\n    instance = \"VI_1\"\n  }\n}\n" +
			"vrrp_instance \"VI_1\" {\n  interface = \"eth0\"\n  virtual_router_id = 1\n  virtual_ipaddress = [\"192.0.2.1\"]\n}\n",
			want: []string{`3:17: error: interface: "abcdefghijklmnop" is 16 characters`}},
		{name: "lvs_timeouts empty", src: "global {\n  lvs_timeouts {\n  }\n}\n",
			want: []string{`2:3: error: lvs_timeouts sets nothing`}},
		{name: "block as attribute", src: "global {\n  lvs_timeouts = 5\n}\n",
			want: []string{`2:3: error: lvs_timeouts is a block in global`}},
		{name: "script_user words", src: "global {\n  script_user = \"a b c\"\n}\n",
			want: []string{`2:17: error: script_user: "a b c" must be "USER" or "USER GROUP"`}},
	})
}
