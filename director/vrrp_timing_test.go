package director

import (
	"bytes"
	"log/slog"
	"net/netip"
	"runtime"
	"runtime/debug"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/halvs/halvs/config"
	"github.com/halvs/halvs/vrrp"
)

func TestTranslateTiming(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want vrrp.InstanceTiming
	}{
		{name: "defaults: the master burst, the standard group",
			src: `vrrp_instance "VI_1" {
  interface = "eth0"
  virtual_router_id = 51
  virtual_ipaddress = ["192.0.2.1"]
}`,
			want: vrrp.InstanceTiming{GARPLowerPrioRepeat: 5, GARPLowerPrioDelay: 5 * time.Second,
				McastGroup: netip.MustParseAddr("224.0.0.18")}},
		{name: "keywords; 0 is none",
			src: `global {
  vrrp_mcast_group4 = "224.0.0.19"
}
vrrp_instance "VI_1" {
  interface = "eth0"
  virtual_router_id = 51
  virtual_ipaddress = ["192.0.2.1"]
  garp_interval = 0.01
  lower_prio_no_advert = true
  higher_prio_send_advert = true
  garp_lower_prio_repeat = 0
  garp_lower_prio_delay = 0
}`,
			want: vrrp.InstanceTiming{LowerPrioNoAdvert: true, HigherPrioSendAdvert: true, GARPLowerPrioRepeat: -1,
				GARPLowerPrioDelay: -1, GARPInterval: 10 * time.Millisecond, McastGroup: netip.MustParseAddr("224.0.0.19")}},
		{name: "IPv6 takes vrrp_mcast_group6",
			src: `global {
  vrrp_mcast_group6 = "ff02::13"
}
vrrp_instance "VI_6" {
  interface = "eth0"
  virtual_router_id = 51
  virtual_ipaddress = ["fe80::1", "2001:db8::1"]
}`,
			want: vrrp.InstanceTiming{GARPLowerPrioRepeat: 5, GARPLowerPrioDelay: 5 * time.Second,
				McastGroup: netip.MustParseAddr("ff02::13")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, diags := config.Parse([]byte(tt.src), "t.hcl")
			if diags.HasErrors() {
				t.Fatal(diags)
			}
			p, err := TranslateVRRP(cfg)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, p.Instances[0].Timing, cmpopts.EquateComparable(netip.Addr{})); diff != "" {
				t.Errorf("timing (-want +got):\n%s", diff)
			}
		})
	}
	g := config.Global{Timing: config.GlobalTiming{RTPriority: 20, Nice: -5, HasNice: true}}
	if diff := cmp.Diff(vrrp.AdvertSched{RTPriority: 20, Nice: -5, SetNice: true}, advertSched(g.Timing)); diff != "" {
		t.Errorf("advert scheduling (-want +got):\n%s", diff)
	}
}

func TestWarnTimingRestart(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(slog.NewTextHandler(&buf, nil))
	warnTimingRestart(log, config.GlobalTiming{}, config.GlobalTiming{})
	if buf.Len() != 0 {
		t.Errorf("unchanged: logged %q", buf.String())
	}
	warnTimingRestart(log, config.GlobalTiming{}, config.GlobalTiming{RTPriority: 50})
	if !strings.Contains(buf.String(), "keep their scheduling until halvs restarts") || !strings.Contains(buf.String(), "SCHED_RR priority 50") {
		t.Errorf("vrrp_rt_priority set by a reload: logged %q, want the restart warning", buf.String())
	}
}

func TestSpareAdvertPs(t *testing.T) {
	before := runtime.GOMAXPROCS(0)
	t.Cleanup(func() { runtime.GOMAXPROCS(before) })
	spareAdvertPs(vrrp.AdvertSched{})
	if got := runtime.GOMAXPROCS(0); got != before {
		t.Errorf("no advert scheduling: GOMAXPROCS %d, want it left at %d", got, before)
	}
	spareAdvertPs(vrrp.AdvertSched{RTPriority: 50})
	if got, want := runtime.GOMAXPROCS(0), runtime.NumCPU()+4; got < want {
		t.Errorf("vrrp_rt_priority: GOMAXPROCS %d, want at least %d", got, want)
	}
}

// TestRareGC: with vrrp_rt_priority the collector runs only under a memory limit above
// what the runtime holds; without it, or with GOGC in the environment, it is left alone.
func TestRareGC(t *testing.T) {
	gcBefore := debug.SetGCPercent(100)
	debug.SetGCPercent(gcBefore)
	limitBefore := debug.SetMemoryLimit(-1)
	t.Cleanup(func() { debug.SetGCPercent(gcBefore); debug.SetMemoryLimit(limitBefore) })
	log := slog.New(slog.DiscardHandler)

	t.Setenv("GOGC", "")
	t.Setenv("GOMEMLIMIT", "")
	if got := rareGC(vrrp.AdvertSched{}, log); got != 0 || debug.SetGCPercent(gcBefore) != gcBefore {
		t.Errorf("no vrrp_rt_priority: limit %d, collector changed", got)
	}
	t.Setenv("GOGC", "200")
	if got := rareGC(vrrp.AdvertSched{RTPriority: 50}, log); got != 0 || debug.SetGCPercent(gcBefore) != gcBefore {
		t.Errorf("GOGC in the environment: limit %d, collector changed", got)
	}
	t.Setenv("GOGC", "")
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	got := rareGC(vrrp.AdvertSched{RTPriority: 50}, log)
	if got < int64(ms.Sys)+rareGCHeadroom/2 || debug.SetMemoryLimit(-1) != got {
		t.Errorf("vrrp_rt_priority: limit %d, runtime memory %d: want a limit about %d above it", got, ms.Sys, rareGCHeadroom)
	}
	if pct := debug.SetGCPercent(gcBefore); pct != -1 {
		t.Errorf("vrrp_rt_priority: GC percent %d, want -1 (off but for the limit)", pct)
	}
}
