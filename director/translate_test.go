package director

import (
	"errors"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/miekg/dns"

	"github.com/halvs/halvs/config"
	"github.com/halvs/halvs/healthcheck"
	"github.com/halvs/halvs/internal/script"
	"github.com/halvs/halvs/lvs"
	"github.com/halvs/halvs/vrrp"
)

func parse(t *testing.T, src string) *config.Config {
	t.Helper()
	cfg, diags := config.Parse([]byte(src), "test.hcl")
	if diags.HasErrors() {
		t.Fatalf("config: %s", diags)
	}
	return cfg
}

var cmpNet = cmp.Options{
	cmp.Comparer(func(a, b netip.Addr) bool { return a == b }),
	cmp.Comparer(func(a, b netip.Prefix) bool { return a == b }),
	cmp.Comparer(func(a, b netip.AddrPort) bool { return a == b }),
	cmpopts.EquateEmpty(),
}

const vrrpConfig = `
global {
  vrrp_garp_master_delay = 0
  vrrp_garp_master_refresh = 60
}
vrrp_script "chk_haproxy" {
  script   = "/usr/bin/killall -0 haproxy"
  interval = 2
  weight   = -20
  rise     = 2
  fall     = 3
  init_fail = true
}
vrrp_instance "VI_1" {
  state             = "MASTER"
  interface         = "eth0"
  virtual_router_id = 51
  priority          = 150
  advert_int        = 1
  authentication {
    auth_type = "PASS"
    auth_pass = "secret"
  }
  virtual_ipaddress          = ["10.10.10.22/24 dev eth1 label eth1:0", "10.10.10.23"]
  virtual_ipaddress_excluded = ["2001:db8::9/64"]
  track_interface = ["eth1 weight -10"]
  track_script    = ["chk_haproxy", "chk_haproxy weight 5 reverse"]
  track_virtual_server = ["10.10.10.22:80 weight -50 reverse"]
  notify_master = "/etc/halvs/master.sh VI_1"
  notify        = "/etc/halvs/notify.sh"
  notify_fifo   = "/run/vi1.fifo"
}
vrrp_instance "VI_6" {
  interface         = "eth0"
  virtual_router_id = 52
  version           = 3
  advert_int        = "100ms"
  nopreempt         = true
  unicast_src_ip    = "2001:db8::1"
  unicast_peer      = ["2001:db8::2 min_ttl 250"]
  unicast_ttl       = 64
  dont_track_primary = true
  virtual_ipaddress = ["fe80::22", "2001:db8::22/64"]
  garp_master_delay = "2s"
  garp_master_repeat = 3
}
vrrp_sync_group "G1" {
  group = ["VI_1", "VI_6"]
  notify_fault = "/etc/halvs/fault.sh"
  sync_group_tracking_weight = true // the members keep their trackers' weights
}
virtual_server "10.10.10.22:80" {
  protocol = "TCP"
  real_server "10.10.10.31:80" {}
}
`

func TestTranslateVRRP(t *testing.T) {
	cfg := parse(t, vrrpConfig)
	// track_script twice with one name is refused by vrrp (one tracker per object); keep the
	// first only, with the reverse flag of the second, to test both translations.
	cfg.VRRPInstances[0].TrackScripts = []config.TrackScript{{Name: "chk_haproxy", Weight: -20, Reverse: true}}
	got, err := TranslateVRRP(cfg)
	if err != nil {
		t.Fatal(err)
	}
	want := VRRPPlan{
		Instances: []vrrp.InstanceConfig{{
			Name: "VI_1", Interface: "eth0", VRID: 51, Version: 2, Priority: 150, Interval: time.Second,
			InitialMaster: true, AuthType: vrrp.AuthPass, AuthPass: "secret", UnicastTTL: 255,
			VIPs: []vrrp.VIP{
				{Prefix: netip.MustParsePrefix("10.10.10.22/24"), Dev: "eth1", Label: "eth1:0"},
				{Prefix: netip.MustParsePrefix("10.10.10.23/32"), Dev: "eth0"},
			},
			ExcludedVIPs: []vrrp.VIP{{Prefix: netip.MustParsePrefix("2001:db8::9/64"), Dev: "eth0"}},
			GARPRepeat:   5, GARPDelay: -time.Nanosecond, GARPRefresh: time.Minute, GARPRefreshRepeat: 1,
			// the global vrrp_garp_master_delay 0: no second lower-priority burst
			Timing: vrrp.InstanceTiming{GARPLowerPrioRepeat: 5, GARPLowerPrioDelay: -1, McastGroup: vrrp.MulticastIPv4},
			Track: []vrrp.Track{
				{Kind: vrrp.TrackInterface, Name: "eth1", Weight: -10},
				{Kind: vrrp.TrackScript, Name: "chk_haproxy", Weight: -20},
				{Kind: vrrp.TrackVirtualServer, Name: "10.10.10.22:80", Weight: -50},
			},
			Notify: vrrp.NotifyConfig{Master: []string{"/etc/halvs/master.sh", "VI_1"}, Notify: []string{"/etc/halvs/notify.sh"}},
		}, {
			Name: "VI_6", Interface: "eth0", VRID: 52, Version: 3, Priority: 100, Interval: 100 * time.Millisecond,
			NoPreempt:  true,
			UnicastSrc: netip.MustParseAddr("2001:db8::1"), UnicastPeers: []netip.Addr{netip.MustParseAddr("2001:db8::2")},
			UnicastTTL: 64, UnicastPeerTTL: map[netip.Addr]vrrp.TTLRange{netip.MustParseAddr("2001:db8::2"): {Min: 250, Max: 255}},
			DontTrackPrimary: true,
			VIPs: []vrrp.VIP{
				{Prefix: netip.MustParsePrefix("fe80::22/128"), Dev: "eth0", HasPreferredLft: true}, // keepalived's preferred_lft 0 for a /128
				{Prefix: netip.MustParsePrefix("2001:db8::22/64"), Dev: "eth0"},
			},
			GARPRepeat: 3, GARPDelay: 2 * time.Second, GARPRefresh: time.Minute, GARPRefreshRepeat: 1,
			Timing: vrrp.InstanceTiming{GARPLowerPrioRepeat: 5, GARPLowerPrioDelay: -1, McastGroup: vrrp.MulticastIPv6},
		}},
		SyncGroups: []vrrp.SyncGroupConfig{{Name: "G1", Members: []string{"VI_1", "VI_6"},
			Notify: vrrp.NotifyConfig{Fault: []string{"/etc/halvs/fault.sh"}}}},
		Scripts: []ScriptPlan{{
			ScriptConfig: vrrp.ScriptConfig{Name: "chk_haproxy", Argv: []string{"/usr/bin/killall", "-0", "haproxy"},
				Interval: 2 * time.Second, Timeout: 2 * time.Second, Rise: 2, Fall: 3},
			InitFail: true,
		}},
		Reverse: map[string]map[trackRef]bool{"VI_1": {
			{vrrp.TrackScript, "chk_haproxy"}:           true,
			{vrrp.TrackVirtualServer, "10.10.10.22:80"}: true,
		}},
		FIFOs: map[string]string{"VI_1": "/run/vi1.fifo"},
	}
	if diff := cmp.Diff(want, got, cmpNet); diff != "" {
		t.Errorf("TranslateVRRP (-want +got):\n%s", diff)
	}
}

func TestTranslateVRRPRefuses(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*config.Config)
		want   string
	}{
		{"track_interface reverse", func(c *config.Config) {
			c.VRRPInstances[1].TrackInterfaces = []config.TrackInterface{{Name: "eth1", Reverse: true}}
		}, `vrrp_instance "VI_6": track_interface "eth1" reverse`},
		{"vrrp refuses v2 with IPv6", func(c *config.Config) { c.VRRPInstances[1].Version = 2 }, "version 2 is IPv4 only"},
		{"priority out of range", func(c *config.Config) { c.VRRPInstances[0].Priority = 0 }, "priority 0 out of 1-255"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := parse(t, vrrpConfig)
			tt.mutate(cfg)
			_, err := TranslateVRRP(cfg)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want it to say %q", err, tt.want)
			}
		})
	}
}

const healthConfig = `
global {
  script_user = "nobody"
}
track_file "tf" {
  file   = "/run/weight"
  weight = 2
}
virtual_server "10.10.10.22:80" {
  protocol   = "TCP"
  lb_algo    = "wrr"
  lb_kind    = "DR"
  delay_loop = 6
  quorum     = 3
  hysteresis = 1
  quorum_down = "/bin/qdown"
  sorry_server = "10.10.10.99:80"
  omega = true
  inhibit_on_failure = true
  real_server "10.10.10.31:80" {
    weight = 3
    notify_down = "/bin/down 31"
    tcp_check {
      connect_timeout    = 3
      retry              = 3
      delay_before_retry = 2
    }
    http_get {
      url {
        path        = "/health"
        status_code = "200-204"
        digest      = "0123456789ABCDEF0123456789abcdef"
      }
      virtualhost = "www"
    }
  }
  real_server "10.10.10.32:80" {
    weight = 2
    inhibit_on_failure = false
    misc_check {
      misc_path    = "/bin/check 32"
      misc_dynamic = true
      user         = "daemon"
    }
    file_check {
      track_file = "tf"
      dynamic    = true
      weight     = 3
    }
  }
}
virtual_server "10.10.10.22:53" {
  protocol = "UDP"
  real_server "10.10.10.31:53" {
    dns_check {
      type = "A"
      name = "example.org"
    }
    udp_check {
      payload       = "0a0b"
      require_reply = "01XX"
    }
    ping_check {
      connect_ip = "10.10.10.131"
    }
  }
}
`

func fakeUsers(name, group string) (uint32, uint32, error) {
	ids := map[string]uint32{"nobody": 65534, "daemon": 1}
	id, ok := ids[name]
	if !ok {
		return 0, 0, errors.New("unknown user")
	}
	return id, id, nil
}

func TestTranslateHealth(t *testing.T) {
	cfg := parse(t, healthConfig)
	got, err := TranslateHealth(cfg, fakeUsers)
	if err != nil {
		t.Fatal(err)
	}
	nobody := &script.Credential{UID: 65534, GID: 65534, Groups: []uint32{}}
	daemon := &script.Credential{UID: 1, GID: 1, Groups: []uint32{}}
	web := netip.MustParseAddrPort("10.10.10.22:80")
	dnsSvc := netip.MustParseAddrPort("10.10.10.22:53")
	ap := netip.MustParseAddrPort
	ms := func(d float64) time.Duration { return time.Duration(d * float64(time.Second)) }
	want := []HealthPlan{{
		Track:    "10.10.10.22:80",
		Services: []lvs.ServiceKey{lvs.NewServiceKey(lvs.TCP, web)},
		Weights:  map[netip.AddrPort]int{ap("10.10.10.31:80"): 3, ap("10.10.10.32:80"): 2},
		VS: healthcheck.VirtualServer{
			Name: "10.10.10.22:80/TCP", Quorum: 3, Hysteresis: 1,
			QuorumDown:  &script.Command{Argv: []string{"/bin/qdown"}, User: nobody},
			SorryServer: true, Omega: true,
			RealServers: []healthcheck.RealServer{{
				Addr: netip.MustParseAddrPort("10.10.10.31:80"), Weight: 3, InhibitOnFailure: true,
				NotifyDown: &script.Command{Argv: []string{"/bin/down", "31"}, User: nobody},
				Checks: []healthcheck.Check{{
					Spec: healthcheck.TCPSpec{Conn: healthcheck.Conn{ConnectIP: netip.MustParseAddr("10.10.10.31"),
						ConnectPort: 80, ConnectTimeout: ms(3)}},
					Timing: healthcheck.Timing{DelayLoop: ms(6), Retry: 3, DelayBeforeRetry: ms(2), Warmup: ms(6)},
				}, {
					Spec: healthcheck.HTTPSpec{Conn: healthcheck.Conn{ConnectIP: netip.MustParseAddr("10.10.10.31"),
						ConnectPort: 80, ConnectTimeout: ms(5)}, VirtualHost: "www", HTTPProtocol: "1.0",
						URLs: []healthcheck.URL{{Path: "/health", StatusCodes: []healthcheck.StatusRange{{Min: 200, Max: 204}},
							Digest: "0123456789abcdef0123456789abcdef", VirtualHost: "www"}}},
					Timing: healthcheck.Timing{DelayLoop: ms(6), Retry: 1, DelayBeforeRetry: ms(3), Warmup: ms(6)},
				}},
			}, {
				Addr: netip.MustParseAddrPort("10.10.10.32:80"), Weight: 2,
				Checks: []healthcheck.Check{{
					Spec:   healthcheck.MiscSpec{Argv: []string{"/bin/check", "32"}, Timeout: ms(6), Dynamic: true, User: daemon},
					Timing: healthcheck.Timing{DelayLoop: ms(6), Retry: 0, DelayBeforeRetry: ms(1), Warmup: ms(6)},
				}, {
					Spec:   healthcheck.FileSpec{Path: "/run/weight", Weight: 6},
					Timing: healthcheck.TimingFor(healthcheck.KindFile, 0),
				}},
			}},
		},
	}, {
		Track:    "10.10.10.22:53",
		Services: []lvs.ServiceKey{lvs.NewServiceKey(lvs.UDP, dnsSvc)},
		Weights:  map[netip.AddrPort]int{ap("10.10.10.31:53"): 1},
		VS: healthcheck.VirtualServer{
			Name: "10.10.10.22:53/UDP", Quorum: 1,
			RealServers: []healthcheck.RealServer{{
				Addr: netip.MustParseAddrPort("10.10.10.31:53"), Weight: 1,
				Checks: []healthcheck.Check{{
					Spec: healthcheck.DNSSpec{Conn: healthcheck.Conn{ConnectIP: netip.MustParseAddr("10.10.10.31"),
						ConnectPort: 53, ConnectTimeout: ms(5)}, Type: dns.TypeA, Name: "example.org"},
					Timing: healthcheck.Timing{DelayLoop: ms(60), Retry: 3, DelayBeforeRetry: ms(60), Warmup: ms(60)},
				}, {
					Spec: healthcheck.UDPSpec{Conn: healthcheck.Conn{ConnectIP: netip.MustParseAddr("10.10.10.31"),
						ConnectPort: 53, ConnectTimeout: ms(5)}, Payload: []byte{0x0a, 0x0b}, RequireReply: true,
						Reply: []byte{0x01, 0x00}, ReplyMask: []byte{0x00, 0xff}, MaxReplyLength: 255},
					Timing: healthcheck.Timing{DelayLoop: ms(60), Retry: 1, DelayBeforeRetry: ms(1), Warmup: ms(60)},
				}, {
					Spec:   healthcheck.PingSpec{ConnectIP: netip.MustParseAddr("10.10.10.131"), ConnectTimeout: ms(5)},
					Timing: healthcheck.Timing{DelayLoop: ms(60), Retry: 1, DelayBeforeRetry: ms(1), Warmup: ms(60)},
				}},
			}},
		},
	}}
	if diff := cmp.Diff(want, got, cmpNet); diff != "" {
		t.Errorf("TranslateHealth (-want +got):\n%s", diff)
	}
	// Every translated check must be one the health package accepts.
	for _, hp := range got {
		if _, err := healthcheck.New([]healthcheck.VirtualServer{hp.VS}, healthcheck.Options{}); err != nil {
			t.Errorf("healthcheck.New(%s): %v", hp.VS.Name, err)
		}
	}
}

func TestTranslateHealthUnknownUser(t *testing.T) {
	cfg := parse(t, strings.Replace(healthConfig, `"daemon"`, `"nosuchuser"`, 1))
	_, err := TranslateHealth(cfg, fakeUsers)
	if err == nil || !strings.Contains(err.Error(), `user "nosuchuser"`) {
		t.Fatalf("err = %v, want an unknown-user error", err)
	}
}
