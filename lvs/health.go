package lvs

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
)

// The health checks drive real servers through these setters. Each one changes the
// effective table and, when the kernel's state of the service is known from the last
// reconcile, applies the difference at once: one weight change is one operation, with no
// read of the table. When it is not known (before the first Reconcile, or after a failed
// operation), the change waits for the next Reconcile, which re-reads the table.

// SetWeight sets the effective weight of real server dst of service svc (a dynamic weight
// from a checker, or 0 for keepalived's inhibit_on_failure). It also brings back a withdrawn
// server.
func (r *Reconciler) SetWeight(ctx context.Context, svc ServiceKey, dst netip.AddrPort, weight int) (Report, error) {
	if weight < 0 || weight > MaxWeight {
		return Report{}, fmt.Errorf("lvs: weight %d out of range 0-%d", weight, MaxWeight)
	}
	return r.setOverride(ctx, destRef{svc, dst}, override{weight: weight})
}

// Withdraw takes real server dst out of service svc (a failed server without
// inhibit_on_failure).
func (r *Reconciler) Withdraw(ctx context.Context, svc ServiceKey, dst netip.AddrPort) (Report, error) {
	return r.setOverride(ctx, destRef{svc, dst}, override{weight: -1, withdrawn: true})
}

// Restore puts real server dst of service svc back at its configured weight.
func (r *Reconciler) Restore(ctx context.Context, svc ServiceKey, dst netip.AddrPort) (Report, error) {
	return r.setOverride(ctx, destRef{svc, dst}, override{weight: -1})
}

func (r *Reconciler) setOverride(ctx context.Context, ref destRef, o override) (Report, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.desired[ref.svc]; !ok {
		return Report{}, fmt.Errorf("%w: %s", ErrUnknownService, ref.svc)
	}
	if !r.hasDest(ref) {
		return Report{}, fmt.Errorf("%w: %s in %s", ErrUnknownDestination, ref.dst, ref.svc)
	}
	if o == (override{weight: -1}) {
		delete(r.weights, ref)
	} else {
		r.weights[ref] = o
	}
	return r.applyService(ctx, ref.svc)
}

// SetQuorum records whether service svc has its quorum. While it has not, the service holds
// only its sorry server (or no destination when it has none), as keepalived removes the
// alive real servers and adds the sorry server; when the quorum is back, the real servers
// return and the sorry server goes.
func (r *Reconciler) SetQuorum(ctx context.Context, svc ServiceKey, up bool) (Report, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.desired[svc]; !ok {
		return Report{}, fmt.Errorf("%w: %s", ErrUnknownService, svc)
	}
	if up {
		delete(r.lost, svc)
	} else {
		r.lost[svc] = true
	}
	return r.applyService(ctx, svc)
}

// applyService applies the difference between the known kernel state of one service and
// its effective state.
func (r *Reconciler) applyService(ctx context.Context, k ServiceKey) (Report, error) {
	got, known := r.applied[k]
	if !known {
		return Report{}, nil
	}
	want := r.effective(r.desired[k])
	rep := r.run(ctx, diffService(nil, &got, want))
	if len(rep.Failed) > 0 {
		delete(r.applied, k)
	} else {
		r.applied[k] = want
	}
	return rep, rep.err()
}

// SetTimeouts sets IPVS's global timeouts (the config's lvs_timeouts, ipvsadm --set) when
// the kernel's differ; zero fields are left as the kernel has them.
func (r *Reconciler) SetTimeouts(ctx context.Context, t Timeouts) (Report, error) {
	if err := t.Validate(); err != nil {
		return Report{}, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	cur, err := r.b.Timeouts()
	if err != nil {
		return Report{}, fmt.Errorf("lvs: read timeouts: %w", err)
	}
	same := func(want, got int64) bool { return want == 0 || want == got }
	if same(int64(t.TCP), int64(cur.TCP)) && same(int64(t.TCPFin), int64(cur.TCPFin)) && same(int64(t.UDP), int64(cur.UDP)) {
		return Report{}, nil
	}
	rep := r.run(ctx, []Op{{Kind: SetTimeouts, Timeouts: t}})
	return rep, rep.err()
}

// SetSyncDaemon makes d the running sync daemon, switching roles as keepalived does on a
// VRRP transition: the daemon of the other role is stopped before this one starts. A daemon
// already running with d's settings costs nothing; one running with other settings is
// restarted.
func (r *Reconciler) SetSyncDaemon(ctx context.Context, d SyncDaemon) (Report, error) {
	if err := d.Validate(); err != nil {
		return Report{}, err
	}
	return r.syncDaemonsTo(ctx, d)
}

// StopSyncDaemons stops every running sync daemon.
func (r *Reconciler) StopSyncDaemons(ctx context.Context) (Report, error) {
	return r.syncDaemonsTo(ctx, SyncDaemon{})
}

// syncDaemonsTo stops every running daemon other than want, then starts want unless it
// already runs; the zero want leaves none running.
func (r *Reconciler) syncDaemonsTo(ctx context.Context, want SyncDaemon) (Report, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	running, err := r.b.SyncDaemons()
	if err != nil {
		return Report{}, fmt.Errorf("lvs: read sync daemons: %w", err)
	}
	var ops []Op
	start := want.Role != 0
	for _, cur := range running {
		if cur == want {
			start = false
			continue
		}
		ops = append(ops, Op{Kind: StopSyncDaemon, Daemon: SyncDaemon{Role: cur.Role}})
	}
	if start {
		ops = append(ops, Op{Kind: StartSyncDaemon, Daemon: want})
	}
	rep := r.run(ctx, ops)
	return rep, rep.err()
}

func sortKeys(ks []ServiceKey) { slices.SortFunc(ks, compareKeys) }
