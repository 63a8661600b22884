package director

import (
	"log/slog"
	"runtime"

	"github.com/halvs/halvs/config"
	"github.com/halvs/halvs/vrrp"
)

// The VRRP timing and scheduling keywords (issue 12), from the config into vrrp.

// instanceTiming is vi's timing keywords with the global multicast group of its family.
func instanceTiming(vi *config.VRRPInstance, g config.Global) vrrp.InstanceTiming {
	t := vi.Timing
	out := vrrp.InstanceTiming{
		LowerPrioNoAdvert: t.LowerPrioNoAdvert, HigherPrioSendAdvert: t.HigherPrioSendAdvert,
		GARPLowerPrioRepeat: t.GarpLowerPrioRepeat, GARPLowerPrioDelay: t.GarpLowerPrioDelay,
		GARPInterval: t.GarpInterval, GNAInterval: t.GnaInterval,
		McastGroup: g.Timing.McastGroup4,
	}
	if vi.Family == config.IPv6 {
		out.McastGroup = g.Timing.McastGroup6
	}
	// keepalived's 0 is "none"; vrrp reads 0 as "the master burst's".
	if out.GARPLowerPrioRepeat == 0 {
		out.GARPLowerPrioRepeat = -1
	}
	if out.GARPLowerPrioDelay == 0 {
		out.GARPLowerPrioDelay = -1
	}
	return out
}

// advertSched is global's vrrp_rt_priority and vrrp_priority.
func advertSched(t config.GlobalTiming) vrrp.AdvertSched {
	return vrrp.AdvertSched{RTPriority: t.RTPriority, Nice: t.Nice, SetNice: t.HasNice}
}

// warnTimingRestart logs the global timing keywords a reload changed that only a restart
// applies: the advert threads' scheduling is set when they start, and vrrp_startup_delay
// concerns the start of halvs.
func warnTimingRestart(log *slog.Logger, old, cur config.GlobalTiming) {
	if advertSched(old) != advertSched(cur) {
		log.Warn("vrrp_rt_priority / vrrp_priority changed: the running instances keep their scheduling until halvs restarts",
			"was", advertSched(old).String(), "now", advertSched(cur).String())
	}
	if old.StartupDelay != cur.StartupDelay {
		log.Info("vrrp_startup_delay changed: it applies when halvs starts, not to a reload", "now", cur.StartupDelay)
	}
}

// spareAdvertPs makes room in the Go scheduler for the advert threads of s (when it sets
// any). Such a thread, woken by the kernel, needs one of the runtime's GOMAXPROCS slots to
// run Go code; when normally scheduled threads hold them all and a loaded machine has
// descheduled those, it waits until one runs again, which is what SCHED_RR was to avoid. A
// few slots beyond the CPUs stay idle for it. Only ever raises GOMAXPROCS.
func spareAdvertPs(s vrrp.AdvertSched) {
	if s.IsZero() {
		return
	}
	if want := runtime.NumCPU() + 4; runtime.GOMAXPROCS(0) < want {
		runtime.GOMAXPROCS(want)
	}
}
