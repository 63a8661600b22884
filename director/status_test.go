package director

import (
	"net/netip"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/halvs/halvs/config"
	"github.com/halvs/halvs/control"
	"github.com/halvs/halvs/healthcheck"
	"github.com/halvs/halvs/lvs"
	"github.com/halvs/halvs/vrrp"
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

func statusConfig(t *testing.T) *config.Config {
	t.Helper()
	cfg, diags := config.Parse([]byte(statusHCL), "halvs.hcl")
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	return cfg
}

// TestInstanceDoc: an instance's state and counters with its config block's version and
// VIPs; the last transition only after a change, the master's since only with a master.
func TestInstanceDoc(t *testing.T) {
	cfg := statusConfig(t)
	at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	peer := netip.MustParseAddr("10.10.10.30")
	tests := []struct {
		name     string
		s        vrrp.Status
		c        vrrp.Counters
		lastFrom string
		block    *config.VRRPInstance
		want     control.Instance
	}{
		{name: "held BACKUP after a failover",
			s: vrrp.Status{Name: "VI_1", State: vrrp.StateBackup, Priority: 1, BasePriority: 150, MasterAddr: peer,
				MasterSince: at.Add(-time.Second), HoldUntil: at.Add(29 * time.Second), Since: at.Add(-2 * time.Second),
				LastReason: "failover requested"},
			c: vrrp.Counters{AdvertsSent: 10, AdvertsReceived: 20, PriorityZeroSent: 1, Drops: map[vrrp.DropReason]uint64{vrrp.DropTTL: 2},
				Transitions: map[vrrp.State]uint64{vrrp.StateBackup: 2, vrrp.StateMaster: 1}},
			lastFrom: "MASTER", block: &cfg.VRRPInstances[0],
			want: control.Instance{Name: "VI_1", Version: 2, State: "BACKUP", Priority: 150, EffectivePriority: 1,
				MasterAddr: peer, MasterSince: at.Add(-time.Second), Since: at.Add(-2 * time.Second),
				LastTransition: &control.Transition{From: "MASTER", To: "BACKUP", Reason: "failover requested", At: at.Add(-2 * time.Second)},
				VIPs:           []netip.Prefix{netip.MustParsePrefix("10.10.10.22/32")}, HoldUntil: at.Add(29 * time.Second),
				Counters: control.Counters{AdvertsSent: 10, AdvertsReceived: 20, PriorityZeroSent: 1,
					Drops: map[string]uint64{"ttl": 2}, Transitions: map[string]uint64{"BACKUP": 2, "MASTER": 1}}}},
		{name: "never changed, no master heard",
			s: vrrp.Status{Name: "VI_2", State: vrrp.StateInit, Priority: 100, BasePriority: 100, MasterSince: at,
				Since: at.Add(-time.Minute)},
			c: vrrp.Counters{Drops: map[vrrp.DropReason]uint64{}, Transitions: map[vrrp.State]uint64{}}, block: &cfg.VRRPInstances[1],
			want: control.Instance{Name: "VI_2", Version: 3, State: "INIT", Priority: 100, EffectivePriority: 100,
				Since: at.Add(-time.Minute),
				VIPs:  []netip.Prefix{netip.MustParsePrefix("10.10.10.23/32"), netip.MustParsePrefix("10.10.10.24/32")}}},
		{name: "no config block",
			s:    vrrp.Status{Name: "VI_9", State: vrrp.StateFault, Faults: []string{"eth9 down"}},
			want: control.Instance{Name: "VI_9", State: "FAULT", Faults: []string{"eth9 down"}, VIPs: []netip.Prefix{}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := instanceDoc(tt.s, tt.c, tt.lastFrom, tt.block)
			if diff := cmp.Diff(tt.want, got, netipCmp); diff != "" {
				t.Errorf("instanceDoc (-want +got):\n%s", diff)
			}
		})
	}
}

// TestVirtualServerStatus: a virtual server's health joined with its config block, what
// the director asked of IPVS and the kernel's counters of its services.
func TestVirtualServerStatus(t *testing.T) {
	cfg := statusConfig(t)
	at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	ap := netip.MustParseAddrPort
	hs := healthcheck.Status{VirtualServer: "10.10.10.22:80/TCP", Quorum: 1, RealServers: []healthcheck.RealServerStatus{
		{Addr: ap("10.10.10.31:80"), Since: at.Add(-time.Minute), Checks: []healthcheck.CheckStatus{
			{Checker: "tcp_check 10.10.10.31:80", LastAt: at.Add(-time.Second), LastLatency: 3 * time.Second, LastError: "timeout"}}},
		{Addr: ap("10.10.10.32:80"), Checks: []healthcheck.CheckStatus{{Checker: "tcp_check 10.10.10.32:80"}}},
	}}
	weights := map[netip.AddrPort]int{ap("10.10.10.31:80"): 3, ap("10.10.10.32:80"): 1}
	dests := map[destRef]destState{{"10.10.10.22:80/TCP", ap("10.10.10.31:80")}: {}}
	kernel := []lvs.ServiceStats{{Key: lvs.NewServiceKey(lvs.TCP, ap("10.10.10.22:80")),
		Stats: lvs.Stats{Connections: 7, BytesIn: 700, Rates: lvs.Rates{CPS: 2, InBPS: 90}},
		Destinations: []lvs.DestinationStats{{Addr: ap("10.10.10.31:80"), Weight: 3, ActiveConns: 2, InactiveConns: 5,
			Stats: lvs.Stats{Connections: 7, Rates: lvs.Rates{InPPS: 1}}}}}}
	healthy := hs
	healthy.QuorumUp, healthy.AliveWeight = true, 1
	healthy.RealServers = []healthcheck.RealServerStatus{{Addr: ap("10.10.10.32:80"), Alive: true}}
	tests := []struct {
		name   string
		hs     healthcheck.Status
		vs     *config.VirtualServer
		kernel []lvs.ServiceStats
		want   control.VirtualServer
	}{
		{name: "quorum lost, counted by the kernel", hs: hs, vs: &cfg.VirtualServers[0], kernel: kernel,
			want: control.VirtualServer{
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
				}}},
		{name: "no checker, no kernel counters", hs: healthy, vs: &cfg.VirtualServers[0],
			want: control.VirtualServer{Name: "10.10.10.22:80", Protocol: "TCP", Scheduler: "wrr", Method: "DR", Quorum: 1,
				QuorumUp: true, AliveWeight: 1, RealServers: []control.RealServer{{Addr: ap("10.10.10.32:80"), Weight: 1, Health: control.HealthUp}}}},
		{name: "no config block", hs: healthcheck.Status{VirtualServer: "fwmark:1"},
			want: control.VirtualServer{Name: "fwmark:1", RealServers: []control.RealServer{}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := virtualServerStatus(tt.hs, tt.vs, weights, dests, tt.kernel)
			if diff := cmp.Diff(tt.want, got, netipCmp); diff != "" {
				t.Errorf("virtualServerStatus (-want +got):\n%s", diff)
			}
		})
	}
}

// TestSyncDaemonStatus: the lvs_sync_daemon block with the running role; sync_id defaults
// to the instance's virtual_router_id.
func TestSyncDaemonStatus(t *testing.T) {
	cfg := statusConfig(t)
	withID := *cfg
	withID.Global.LVSSyncDaemon = &config.LVSSyncDaemon{Interface: "eth1", Instance: "VI_2", SyncID: 9}
	unset := *cfg // sync_id 0: validation sets it, the fallback still names the instance's
	unset.Global.LVSSyncDaemon = &config.LVSSyncDaemon{Interface: "eth0", Instance: "VI_2"}
	none := *cfg
	none.Global.LVSSyncDaemon = nil
	tests := []struct {
		name string
		cfg  *config.Config
		role lvs.SyncRole
		want *control.SyncDaemon
	}{
		{"backup, sync_id from VI_1", cfg, lvs.SyncBackup, &control.SyncDaemon{Role: "backup", Interface: "eth0", SyncID: 51, Instance: "VI_1"}},
		{"sync_id unset", &unset, lvs.SyncMaster, &control.SyncDaemon{Role: "master", Interface: "eth0", SyncID: 52, Instance: "VI_2"}},
		{"not running", &withID, 0, &control.SyncDaemon{Role: "none", Interface: "eth1", SyncID: 9, Instance: "VI_2"}},
		{"no block", &none, lvs.SyncMaster, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, syncDaemonStatus(tt.cfg, tt.role)); diff != "" {
				t.Errorf("syncDaemonStatus (-want +got):\n%s", diff)
			}
		})
	}
}
