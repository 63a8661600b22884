package main

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/halvs/halvs/config"
	"github.com/halvs/halvs/control"
	"github.com/halvs/halvs/director"
	"github.com/halvs/halvs/lvs"
)

const statusHCL = `
global {
  router_id = "director-a"
  lvs_sync_daemon {
    interface = "eth0"
    instance  = "VI_1"
  }
}
vrrp_instance "VI_1" {
  interface         = "eth0"
  virtual_router_id = 51
  priority          = 150
  virtual_ipaddress = ["10.10.10.22/32"]
}
vrrp_instance "VI_2" {
  interface         = "eth0"
  virtual_router_id = 52
  priority          = 100
  version           = 3
  virtual_ipaddress = ["10.10.10.23/32", "10.10.10.24/32"]
}
vrrp_sync_group "VG_1" {
  group = ["VI_2"]
}
virtual_server "10.10.10.22:80" {
  lb_algo      = "wrr"
  lb_kind      = "DR"
  protocol     = "TCP"
  sorry_server = "10.10.10.40:80"
  real_server "10.10.10.31:80" {
    weight = 3
    tcp_check {}
  }
  real_server "10.10.10.32:80" {
    weight = 1
    tcp_check {}
  }
}
`

var netipCmp = cmpopts.EquateComparable(netip.Addr{}, netip.Prefix{}, netip.AddrPort{})

func TestToControlStatus(t *testing.T) {
	cfg, diags := config.Parse([]byte(statusHCL), "halvs.hcl")
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	ap := netip.MustParseAddrPort
	peer := netip.MustParseAddr("10.10.10.30")
	drain := 3
	st := director.Status{
		Time: at,
		Instances: []director.InstanceStatus{
			{Name: "VI_1", Interface: "eth0", VRID: 51, State: "BACKUP", Priority: 150, EffectivePriority: 1,
				MasterAddr: peer, MasterSince: at.Add(-time.Second), HoldUntil: at.Add(29 * time.Second), LastFrom: "MASTER",
				Since: at.Add(-2 * time.Second), LastReason: "failover requested", AdvertsSent: 10, AdvertsReceived: 20,
				PriorityZeroSent: 1, Drops: map[string]uint64{"ttl": 2}, Transitions: map[string]uint64{"BACKUP": 2, "MASTER": 1},
				Trackers: []director.TrackerStatus{{Kind: "script", Name: "chk", Weight: -20, Reverse: true, State: "down"},
					{Kind: "file", Name: "drain", Weight: -2, State: "value", Value: &drain}},
				VirtualRoutes: []string{"192.0.2.0/24 via 10.10.10.1"}, VirtualRules: []string{"from 192.0.2.0/24 table 100"}},
			{Name: "VI_2", Interface: "eth0", VRID: 52, State: "INIT", Priority: 100, EffectivePriority: 100, Since: at.Add(-time.Minute),
				Drops: map[string]uint64{}, Transitions: map[string]uint64{}},
		},
		SyncDaemon: "backup",
		Static:     &director.StaticStatus{Routes: []string{"198.51.100.0/24 via 10.10.10.1"}},
		Events: []director.Event{{At: at.Add(-time.Second), Kind: "reload", Subject: "/etc/halvs/halvs.hcl", State: "failure", Message: "reload refused"},
			{At: at.Add(-2 * time.Second), Kind: "vrrp", Subject: "VI_1", State: "BACKUP", Message: "MASTER → BACKUP: failover requested"}},
		LastReload: &director.ReloadStatus{At: at.Add(-time.Second), Errors: []string{"halvs.hcl:9:11: error: bad"}},
		VirtualServers: []director.VirtualServerStatus{{
			Name: "10.10.10.22:80/TCP", Quorum: 1, QuorumUp: false, AliveWeight: 0,
			Services: []lvs.ServiceKey{lvs.NewServiceKey(lvs.TCP, ap("10.10.10.22:80"))},
			RealServers: []director.RealServerStatus{
				{Addr: ap("10.10.10.31:80"), ConfiguredWeight: 3, EffectiveWeight: 0, InTable: false, Healthy: false, Since: at.Add(-time.Minute),
					Checks: []director.CheckStatus{{Checker: "tcp_check 10.10.10.31:80", LastAt: at.Add(-time.Second), LastLatency: 3 * time.Second, LastError: "timeout"}}},
				{Addr: ap("10.10.10.32:80"), ConfiguredWeight: 1, Checks: []director.CheckStatus{{Checker: "tcp_check 10.10.10.32:80"}}},
			},
		}},
	}
	stats := []lvs.ServiceStats{
		{Key: lvs.NewServiceKey(lvs.TCP, ap("10.10.10.22:80")), Stats: lvs.Stats{Connections: 7, BytesIn: 700, Rates: lvs.Rates{CPS: 2, InBPS: 90}},
			Destinations: []lvs.DestinationStats{{Addr: ap("10.10.10.31:80"), Weight: 3, ActiveConns: 2, InactiveConns: 5,
				Stats: lvs.Stats{Connections: 7, Rates: lvs.Rates{InPPS: 1}}}}},
		{Key: lvs.NewServiceKey(lvs.TCP, ap("192.0.2.1:25"))}, // someone else's service
	}
	info := runInfo{cfg: cfg, path: "/etc/halvs/halvs.hcl", loaded: at.Add(-time.Hour), started: at.Add(-2 * time.Hour)}
	got := toControlStatus(st, stats, info)
	want := &control.Status{
		SchemaVersion: control.StatusVersion, Time: at, RouterID: "director-a", ConfigFile: "/etc/halvs/halvs.hcl",
		ConfigLoaded: at.Add(-time.Hour), Started: at.Add(-2 * time.Hour),
		Instances: []control.Instance{
			{Name: "VI_1", Interface: "eth0", VRID: 51, Version: 2, State: "BACKUP", Priority: 150, EffectivePriority: 1,
				MasterAddr: peer, MasterSince: at.Add(-time.Second), Since: at.Add(-2 * time.Second),
				LastTransition: &control.Transition{From: "MASTER", To: "BACKUP", Reason: "failover requested", At: at.Add(-2 * time.Second)},
				VIPs:           []netip.Prefix{netip.MustParsePrefix("10.10.10.22/32")}, HoldUntil: at.Add(29 * time.Second),
				Counters: control.Counters{AdvertsSent: 10, AdvertsReceived: 20, PriorityZeroSent: 1,
					Drops: map[string]uint64{"ttl": 2}, Transitions: map[string]uint64{"BACKUP": 2, "MASTER": 1}},
				Trackers: []control.Tracker{{Kind: "script", Name: "chk", Weight: -20, Reverse: true, State: "down"},
					{Kind: "file", Name: "drain", Weight: -2, State: "value", Value: &drain}},
				VirtualRoutes: []string{"192.0.2.0/24 via 10.10.10.1"}, VirtualRules: []string{"from 192.0.2.0/24 table 100"}},
			{Name: "VI_2", Interface: "eth0", VRID: 52, Version: 3, State: "INIT", Priority: 100, EffectivePriority: 100,
				Since: at.Add(-time.Minute), SyncGroup: "VG_1",
				VIPs: []netip.Prefix{netip.MustParsePrefix("10.10.10.23/32"), netip.MustParsePrefix("10.10.10.24/32")}},
		},
		VirtualServers: []control.VirtualServer{{
			Name: "10.10.10.22:80", Protocol: "TCP", Scheduler: "wrr", Method: "DR", Quorum: 1, SorryActive: true,
			Stats: &control.IPVSStats{Connections: 7, BytesIn: 700, CPS: 2, InBPS: 90},
			Services: []control.IPVSService{{Family: "IPv4", Protocol: "TCP", Addr: ap("10.10.10.22:80"),
				Stats: control.IPVSStats{Connections: 7, BytesIn: 700, CPS: 2, InBPS: 90},
				Destinations: []control.IPVSDestination{{Addr: ap("10.10.10.31:80"), Weight: 3, ActiveConns: 2, InactiveConns: 5,
					Stats: control.IPVSStats{Connections: 7, InPPS: 1}}}}},
			RealServers: []control.RealServer{
				{Addr: ap("10.10.10.31:80"), Weight: 3, Health: control.HealthDown, HealthSince: at.Add(-time.Minute),
					LastCheck:   &control.CheckResult{Checker: "tcp_check 10.10.10.31:80", At: at.Add(-time.Second), Latency: control.Duration(3 * time.Second), Error: "timeout"},
					ActiveConns: 2, InactiveConns: 5, Stats: &control.IPVSStats{Connections: 7, InPPS: 1}},
				{Addr: ap("10.10.10.32:80"), Weight: 1, Health: control.HealthUnknown},
			},
		}},
		SyncDaemon: &control.SyncDaemon{Role: "backup", Interface: "eth0", SyncID: 51, Instance: "VI_1"},
		Static:     &control.Static{Routes: []string{"198.51.100.0/24 via 10.10.10.1"}},
		LastReload: &control.Reload{At: at.Add(-time.Second), Result: "failure", Errors: []string{"halvs.hcl:9:11: error: bad"}},
		Events: []control.Event{{At: at.Add(-time.Second), Kind: "reload", Subject: "/etc/halvs/halvs.hcl", State: "failure", Message: "reload refused"},
			{At: at.Add(-2 * time.Second), Kind: "vrrp", Subject: "VI_1", State: "BACKUP", Message: "MASTER → BACKUP: failover requested"}},
	}
	if diff := cmp.Diff(want, got, netipCmp); diff != "" {
		t.Errorf("toControlStatus (-want +got):\n%s", diff)
	}
}

// TestReloadSerialised: a control-socket reload is refused while a reload or failover runs
// and within a second of the previous reload; SIGHUP's reload waits instead.
func TestReloadSerialised(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	dm := &daemon{log: slog.New(slog.NewTextHandler(io.Discard, nil)), now: func() time.Time { return now }}
	dm.ops.Lock()
	if _, err := dm.controlReload(context.Background(), control.ReloadRequest{}); !errors.Is(err, control.ErrBusy) {
		t.Errorf("reload during another operation: %v, want ErrBusy", err)
	}
	if _, err := dm.failover(context.Background(), control.FailoverRequest{}); !errors.Is(err, control.ErrBusy) {
		t.Errorf("failover during another operation: %v, want ErrBusy", err)
	}
	dm.ops.Unlock()
	dm.lastReload = now.Add(-300 * time.Millisecond)
	_, err := dm.controlReload(context.Background(), control.ReloadRequest{})
	if !errors.Is(err, control.ErrBusy) || !cmp.Equal(err.Error(), "busy: another reload or failover is in progress: at most one reload a second; try again in 700ms") {
		t.Errorf("reload 300ms after the last: %v", err)
	}
}

func TestReloadErrors(t *testing.T) {
	_, diags := config.Parse([]byte("vrrp_instance \"VI_1\" {\n  state = \"MASTR\"\n}\n"), "halvs.hcl")
	if !diags.HasErrors() {
		t.Fatal("the config has no error")
	}
	tests := []struct {
		name  string
		diags config.Diagnostics
		err   error
		want  int // errors listed
		first string
	}{
		{"success", nil, nil, 0, ""},
		{"config invalid", diags, errors.New("reload failed"), len(diags.Errors()), "halvs.hcl:"},
		{"refused by the director", nil, errors.New("reload failed: VIP 10.0.0.1 is this host's own address"), 1, "reload failed: VIP"},
	}
	for _, tt := range tests {
		got := reloadErrors(tt.diags, tt.err)
		if len(got) != tt.want || (tt.want > 0 && !strings.HasPrefix(got[0], tt.first)) {
			t.Errorf("%s: %q, want %d errors, the first starting %q", tt.name, got, tt.want, tt.first)
		}
	}
}
