package config_test

import (
	"net/netip"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/halvs/halvs/config"
	"github.com/halvs/halvs/config/configtest"
)

func TestTimingValues(t *testing.T) {
	tests := []struct {
		name       string
		global     string
		lines      string
		wantGlobal func(*config.GlobalTiming)
		wantInst   config.InstanceTiming
		wantSrc    netip.Addr
	}{
		{name: "defaults: lower-priority bursts are the master bursts",
			wantInst: config.InstanceTiming{GarpLowerPrioRepeat: 5, GarpLowerPrioDelay: 5 * time.Second}},
		{name: "lower-priority defaults follow vrrp_garp_master_*",
			global: "vrrp_garp_master_repeat = 3\nvrrp_garp_master_delay = 2\n",
			wantGlobal: func(g *config.GlobalTiming) {
				g.GarpLowerPrioRepeat, g.GarpLowerPrioDelay = 3, 2*time.Second
			},
			wantInst: config.InstanceTiming{GarpLowerPrioRepeat: 3, GarpLowerPrioDelay: 2 * time.Second}},
		{name: "global values reach the instance",
			global: `vrrp_startup_delay = 2.5
vrrp_garp_interval = 0.001
vrrp_gna_interval = "2ms"
vrrp_garp_lower_prio_repeat = 0
vrrp_garp_lower_prio_delay = 3
vrrp_lower_prio_no_advert = true
vrrp_higher_prio_send_advert = true
vrrp_mcast_group4 = "224.0.0.19"
vrrp_mcast_group6 = "ff02::13"
vrrp_rt_priority = 50
vrrp_priority = -10
`,
			wantGlobal: func(g *config.GlobalTiming) {
				*g = config.GlobalTiming{StartupDelay: 2500 * time.Millisecond, GarpInterval: time.Millisecond,
					GnaInterval: 2 * time.Millisecond, GarpLowerPrioDelay: 3 * time.Second,
					LowerPrioNoAdvert: true, HigherPrioSendAdvert: true,
					McastGroup4: netip.MustParseAddr("224.0.0.19"), McastGroup6: netip.MustParseAddr("ff02::13"),
					RTPriority: 50, Nice: -10, HasNice: true}
			},
			// vrrp_garp_interval / vrrp_gna_interval pace the interfaces, not each instance.
			wantInst: config.InstanceTiming{GarpLowerPrioDelay: 3 * time.Second, LowerPrioNoAdvert: true, HigherPrioSendAdvert: true}},
		{name: "instance overrides global",
			global: "vrrp_lower_prio_no_advert = true\nvrrp_garp_interval = 0.001\n",
			lines:  "  lower_prio_no_advert = false\n  garp_interval = 0.005\n  garp_lower_prio_repeat = 2\n  garp_lower_prio_delay = 0\n  higher_prio_send_advert = true\n",
			wantGlobal: func(g *config.GlobalTiming) {
				g.LowerPrioNoAdvert, g.GarpInterval = true, time.Millisecond
			},
			wantInst: config.InstanceTiming{GarpInterval: 5 * time.Millisecond, GarpLowerPrioRepeat: 2, HigherPrioSendAdvert: true}},
		{name: "mcast_src_ip is the advert source",
			lines:    "  mcast_src_ip = \"192.0.2.7\"\n",
			wantInst: config.InstanceTiming{GarpLowerPrioRepeat: 5, GarpLowerPrioDelay: 5 * time.Second},
			wantSrc:  netip.MustParseAddr("192.0.2.7")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := mustParse(t, "global {\n"+tc.global+"}\n"+vi(tc.lines))
			want := config.GlobalTiming{McastGroup4: config.DefaultMcastGroup4, McastGroup6: config.DefaultMcastGroup6,
				GarpLowerPrioRepeat: 5, GarpLowerPrioDelay: 5 * time.Second}
			if tc.wantGlobal != nil {
				tc.wantGlobal(&want)
			}
			if diff := cmp.Diff(want, cfg.Global.Timing, configtest.IgnorePositions()); diff != "" {
				t.Errorf("global timing (-want +got):\n%s", diff)
			}
			inst := cfg.VRRPInstances[0]
			if diff := cmp.Diff(tc.wantInst, inst.Timing); diff != "" {
				t.Errorf("instance timing (-want +got):\n%s", diff)
			}
			if got := inst.UnicastSrcIP; got != tc.wantSrc {
				t.Errorf("advert source = %v, want %v", got, tc.wantSrc)
			}
		})
	}
}

func TestTimingValidation(t *testing.T) {
	g := func(line string) string { return "global {\n  " + line + "\n}\n" }
	runDiagCases(t, []diagCase{
		{name: "mcast group4 not multicast", src: g(`vrrp_mcast_group4 = "192.0.2.1"`),
			want: []string{`2:23: error: vrrp_mcast_group4 192.0.2.1 is not a multicast address`}},
		{name: "mcast group4 IPv6", src: g(`vrrp_mcast_group4 = "ff02::12"`),
			want: []string{`2:23: error: vrrp_mcast_group4 ff02::12 is not an IPv4 address`}},
		{name: "mcast group6 IPv4", src: g(`vrrp_mcast_group6 = "224.0.0.18"`),
			want: []string{`2:23: error: vrrp_mcast_group6 224.0.0.18 is not an IPv6 address`}},
		{name: "rt priority 0", src: g(`vrrp_rt_priority = 0`),
			want: []string{`2:22: error: vrrp_rt_priority must be a whole number from 1 to 99, not 0`}},
		{name: "rt priority 100", src: g(`vrrp_rt_priority = 100`),
			want: []string{`2:22: error: vrrp_rt_priority must be a whole number from 1 to 99, not 100`}},
		{name: "nice out of range", src: g(`vrrp_priority = 20`),
			want: []string{`2:19: error: vrrp_priority must be a whole number from -20 to 19, not 20`}},
		{name: "lower prio delay fractional", src: g(`vrrp_garp_lower_prio_delay = 1.5`),
			want: []string{`2:32: error: vrrp_garp_lower_prio_delay 1.5s must be whole seconds`}},
		{name: "garp interval large", src: g(`vrrp_garp_interval = 1`),
			want: []string{`2:24: warning: vrrp_garp_interval 1s is very large`}},
		{name: "negative repeat", src: vi("  garp_lower_prio_repeat = -1\n"),
			want: []string{`4:28: error: garp_lower_prio_repeat must be a whole number from 0 to`}},
		{name: "mcast_src_ip and unicast_src_ip", src: vi("  unicast_src_ip = \"192.0.2.7\"\n  mcast_src_ip = \"192.0.2.7\"\n"),
			want: []string{`4:20: warning: unicast_src_ip without unicast_peer`, `5:18: error: mcast_src_ip and unicast_src_ip are the same setting`}},
		{name: "mcast_src_ip without peers draws no unicast warning", src: vi("  mcast_src_ip = \"192.0.2.7\"\n")},
		{name: "mcast_src_ip family", src: vi("  mcast_src_ip = \"2001:db8::7\"\n"),
			want: []string{`4:18: error: mcast_src_ip 2001:db8::7 is IPv6 but the instance is IPv4`}},
	})
}
