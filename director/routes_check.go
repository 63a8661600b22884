package director

import (
	"context"
	"time"

	"github.com/halvs/halvs/vrrp"
)

// staticCheckInterval is how often the static routes and rules are checked in the kernel:
// keepalived re-adds a static route or rule deleted behind its back (unless no_track), as
// halvs' MASTERs re-add their virtual ones (vrrp/routes_check.go).
const staticCheckInterval = time.Second

// checkStaticLoop re-adds, every staticCheckInterval until ctx ends, the static routes and
// rules (lvs_handover_accept's among them) that vanished from the kernel.
func (d *Director) checkStaticLoop(ctx context.Context) {
	t := time.NewTicker(staticCheckInterval)
	defer t.Stop()
	failing := map[string]bool{} // logged once while a re-add keeps failing
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		d.mu.Lock()
		if !d.stopped {
			failing = d.repairStatic(d.plan.vrrp.Static, failing)
		}
		d.mu.Unlock()
	}
}

// repairStatic re-adds what p's tracked routes and rules lack in the kernel; it returns the
// entries whose re-add failed. Called with d.mu held, so that a reload does not change the
// plan meanwhile.
func (d *Director) repairStatic(p StaticPlan, failing map[string]bool) map[string]bool {
	now, err := vrrp.RepairRoutes(d.routes, p.Routes, p.Rules, failing, func(kind, what string, first bool, err error) {
		switch {
		case err == nil:
			d.log.Warn("re-added a static "+kind+" that vanished from the kernel", kind, what)
		case first:
			d.log.Error("re-adding a static "+kind+" failed (tried again every second)", kind, what, "err", err)
		}
	})
	if err != nil {
		d.log.Error("cannot check the static routes and rules", "err", err)
	}
	return now
}
