package director

import (
	"log/slog"
	"os"
	"runtime"
	"runtime/debug"

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

// rareGCHeadroom is how much the Go runtime's memory may grow between two garbage
// collections when rareGC applies.
const rareGCHeadroom = 256 << 20

// rareGC makes garbage collection rare when s asks for real-time advert threads, unless the
// environment sets GOGC or GOMEMLIMIT (the operator's choice wins). A collection stops
// every goroutine at two points, and that stop waits for each running goroutine to notice:
// one on a thread that a loaded machine has descheduled notices only when it runs again,
// tens of milliseconds later, and the SCHED_RR advert thread waits all that time. keepalived
// runs its VRRP process whole at the real-time priority; halvs' other threads (checks,
// reloads at nice 19) cannot be, so instead it collects only when its memory has grown by
// rareGCHeadroom: GOGC=off with a memory limit. In 120 s soaks at advert_int 20 ms with two
// busy loops, the worst gap between adverts went from 75.7 ms (one false takeover) to
// 22.8 ms with collections off (README). It returns the limit set, 0 when it left the
// collector alone.
func rareGC(s vrrp.AdvertSched, log *slog.Logger) int64 {
	if s.RTPriority == 0 || os.Getenv("GOGC") != "" || os.Getenv("GOMEMLIMIT") != "" {
		return 0
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	limit := int64(ms.Sys) + rareGCHeadroom
	debug.SetMemoryLimit(limit)
	debug.SetGCPercent(-1)
	log.Info("vrrp_rt_priority: garbage collection only when memory has grown by 256 MiB (GOGC or GOMEMLIMIT in the environment choose otherwise)",
		"memory_limit", limit)
	return limit
}
