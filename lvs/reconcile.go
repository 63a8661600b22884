package lvs

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"sync"
	"syscall"
	"time"
)

// Sentinel errors of the Reconciler's setters.
var (
	ErrUnknownService     = errors.New("lvs: service is not in the desired table")
	ErrUnknownDestination = errors.New("lvs: destination is not a real server of the service")
)

// Options tune a Reconciler. The zero value gives 3 attempts per operation, 100 ms apart
// then doubling.
type Options struct {
	Attempts int           // tries per operation, at least 1
	Backoff  time.Duration // wait before the second try; doubles for each further try
	// Sleep waits d or until ctx ends; tests hand in a fake. Nil means a real timer.
	Sleep func(ctx context.Context, d time.Duration) error
}

// Reconciler keeps the kernel's IPVS table equal to a desired table, for the services that
// table names and only those. Its methods are safe for concurrent use; they are serialised,
// so it is also the one owner of its Backend.
//
// It owns a service from the moment a desired table names it until a reconcile has deleted
// it after a later table dropped it. Services it does not own are never touched; it never
// flushes. A restart adopts what is already programmed: a service that matches the desired
// one costs no operation. Between restarts it trusts its record of what it programmed, as
// keepalived does: a change another tool makes to an owned service is not seen until one
// of that service's operations fails (the service is then read afresh) or a new Reconciler
// starts.
type Reconciler struct {
	mu      sync.Mutex
	b       Backend
	opts    Options
	desired map[ServiceKey]VirtualServer
	owned   map[ServiceKey]bool
	weights map[destRef]override
	lost    map[ServiceKey]bool // services whose quorum is lost: sorry server only
	// applied is what the kernel holds for each owned service, as of the last operations
	// that all succeeded; the setters diff against it instead of re-reading the table. A
	// service is missing when its state is unknown (never reconciled, or an op failed).
	applied map[ServiceKey]VirtualServer
}

type destRef struct {
	svc ServiceKey
	dst netip.AddrPort
}

// override is what the health checks say about one real server.
type override struct {
	weight    int  // effective weight; -1 means the configured one
	withdrawn bool // out of the table entirely
}

// NewReconciler returns a Reconciler with an empty desired table, driving b.
func NewReconciler(b Backend, opts Options) *Reconciler {
	if opts.Attempts < 1 {
		opts.Attempts = 3
	}
	if opts.Backoff <= 0 {
		opts.Backoff = 100 * time.Millisecond
	}
	if opts.Sleep == nil {
		opts.Sleep = sleepCtx
	}
	return &Reconciler{
		b:       b,
		opts:    opts,
		desired: map[ServiceKey]VirtualServer{},
		owned:   map[ServiceKey]bool{},
		weights: map[destRef]override{},
		lost:    map[ServiceKey]bool{},
		applied: map[ServiceKey]VirtualServer{},
	}
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// SetDesired replaces the desired table; the kernel changes at the next Reconcile. An
// invalid table is refused whole and changes nothing. Services the previous table named stay
// owned, so the next Reconcile deletes those this table drops. Health overrides (weights,
// withdrawals, lost quorum) survive for the real servers and services still named.
func (r *Reconciler) SetDesired(table []VirtualServer) error {
	if err := Validate(table); err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.desired = make(map[ServiceKey]VirtualServer, len(table))
	for _, vs := range table {
		r.desired[vs.Service.Key] = vs
		r.owned[vs.Service.Key] = true
	}
	for ref := range r.weights {
		if !r.hasDest(ref) {
			delete(r.weights, ref)
		}
	}
	for k := range r.lost {
		if _, ok := r.desired[k]; !ok {
			delete(r.lost, k)
		}
	}
	return nil
}

func (r *Reconciler) hasDest(ref destRef) bool {
	vs, ok := r.desired[ref.svc]
	if !ok {
		return false
	}
	for _, d := range vs.Destinations {
		if d.Addr == ref.dst {
			return true
		}
	}
	return false
}

// effective is vs as it should be in the kernel now: the sorry server alone while its quorum
// is lost, otherwise its real servers with the health checks' weights applied.
func (r *Reconciler) effective(vs VirtualServer) VirtualServer {
	out := VirtualServer{Service: vs.Service}
	if r.lost[vs.Service.Key] {
		if vs.Sorry.Addr.IsValid() {
			out.Destinations = []Destination{vs.Sorry}
		}
		return out
	}
	out.Destinations = make([]Destination, 0, len(vs.Destinations))
	for _, d := range vs.Destinations {
		o, ok := r.weights[destRef{vs.Service.Key, d.Addr}]
		if ok && o.withdrawn {
			continue
		}
		if ok && o.weight >= 0 {
			d.Weight = o.weight
		}
		out.Destinations = append(out.Destinations, d)
	}
	return out
}

// Plan reads the kernel's table and returns the operations Reconcile would apply now,
// without applying them.
func (r *Reconciler) Plan() ([]Op, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	cur, err := r.b.Services()
	if err != nil {
		return nil, fmt.Errorf("lvs: read table: %w", err)
	}
	return Diff(cur, r.effectiveTable(), r.owned), nil
}

func (r *Reconciler) effectiveTable() []VirtualServer {
	eff := make([]VirtualServer, 0, len(r.desired))
	for _, vs := range r.desired {
		eff = append(eff, r.effective(vs))
	}
	return eff
}

// Reconcile applies the smallest set of operations that makes the owned services match the
// desired table. It reads from the kernel only what it does not know: a service whose state
// the last operations left known (r.applied) and whose effective state has not changed since
// costs neither a read nor an operation, so a reload that changes one weight in a table of
// thousands of services is one operation and no read. A service it does not know (never
// reconciled, or one of its operations failed) is read alone, or, when most of the services
// are unknown (at start), with one read of the whole table; so a restart adopts what is
// already programmed. An unchanged table costs no operation. An operation that fails is
// retried with backoff; what still fails is in the Report and in the returned error (an
// *OpError, or several joined), and the next Reconcile reads that service afresh.
func (r *Reconciler) Reconcile(ctx context.Context) (Report, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	cur, eff, err := r.scope()
	if err != nil {
		return Report{}, err
	}
	present := make(map[ServiceKey]bool, len(cur))
	for _, vs := range cur {
		present[vs.Service.Key] = true
	}
	rep := r.run(ctx, Diff(cur, eff, r.owned))

	failed := map[ServiceKey]bool{}
	for _, e := range rep.Failed {
		failed[e.Op.Service.Key] = true
	}
	for _, vs := range eff {
		if failed[vs.Service.Key] {
			delete(r.applied, vs.Service.Key)
		} else {
			r.applied[vs.Service.Key] = vs
		}
	}
	for k := range r.owned {
		if _, want := r.desired[k]; want {
			continue
		}
		if !present[k] || !failed[k] {
			delete(r.owned, k) // deleted now, or gone already
			delete(r.applied, k)
		} else {
			delete(r.applied, k) // its deletion failed: read it afresh next time
		}
	}
	return rep, rep.err()
}

// scope returns what Reconcile diffs: cur, the kernel's state of the services that may need
// an operation (from r.applied where known, read where not), and eff, the effective state of
// the desired ones among them. Diff over these gives the operations a diff of the whole
// table would, when r.applied is true to the kernel.
func (r *Reconciler) scope() (cur, eff []VirtualServer, err error) {
	var unknown []ServiceKey
	for k := range r.owned {
		if _, ok := r.applied[k]; !ok {
			unknown = append(unknown, k)
		}
	}
	read := map[ServiceKey]VirtualServer{}
	if len(unknown) > 0 && 2*len(unknown) > len(r.owned) {
		// Most are unknown: one walk of the table costs less than a read of each.
		all, err := r.b.Services()
		if err != nil {
			return nil, nil, fmt.Errorf("lvs: read table: %w", err)
		}
		for _, vs := range all {
			if r.owned[vs.Service.Key] {
				read[vs.Service.Key] = vs
			}
		}
	} else {
		sortKeys(unknown)
		for _, k := range unknown {
			vs, err := r.b.Service(k)
			switch {
			case isNotFound(err):
			case err != nil:
				return nil, nil, fmt.Errorf("lvs: read service: %w", err)
			default:
				read[k] = vs
			}
		}
	}
	for k := range r.owned {
		want, desired := r.desired[k]
		got, known := r.applied[k]
		if !known {
			if vs, ok := read[k]; ok {
				cur = append(cur, vs)
			}
			if desired {
				eff = append(eff, r.effective(want))
			}
			continue
		}
		if !desired {
			cur = append(cur, got) // to be deleted
			continue
		}
		if e := r.effective(want); !sameState(got, e) {
			cur = append(cur, got)
			eff = append(eff, e)
		}
	}
	return cur, eff, nil
}

// sameState says whether a service in state got needs no operation to reach want.
func sameState(got, want VirtualServer) bool {
	if got.Service.normalized() != want.Service.normalized() || len(got.Destinations) != len(want.Destinations) {
		return false
	}
	for i, d := range want.Destinations {
		if g := got.Destinations[i]; g.Addr != d.Addr || !d.sameAs(g) {
			return len(diffService(nil, &got, want)) == 0 // the same set in another order
		}
	}
	return true
}

// Stop removes every owned service from the kernel, as keepalived does when it stops,
// unless keep is true (an upgrade: the next start adopts the table with zero operations).
// Afterwards the Reconciler owns nothing and desires nothing.
func (r *Reconciler) Stop(ctx context.Context, keep bool) (Report, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	defer func() {
		clear(r.desired)
		clear(r.applied)
	}()
	if keep {
		clear(r.owned)
		return Report{}, nil
	}
	cur, err := r.b.Services()
	if err != nil {
		return Report{}, fmt.Errorf("lvs: read table: %w", err)
	}
	rep := r.run(ctx, Diff(cur, nil, r.owned))
	clear(r.owned)
	return rep, rep.err()
}

// Owned lists the services the Reconciler currently owns, in table order.
func (r *Reconciler) Owned() []ServiceKey {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]ServiceKey, 0, len(r.owned))
	for k := range r.owned {
		out = append(out, k)
	}
	sortKeys(out)
	return out
}

// batcher is a Backend that applies several service and destination changes in one round
// trip (Kernel: one netlink send, see batch_linux.go). applyBatch returns one error per
// operation, nil for each one applied; the kernel applies them in order and goes on after
// a failure.
type batcher interface {
	applyBatch(ops []Op) []error
}

// maxBatch bounds a batch. For the kernel it keeps a batch's failure messages (one socket
// buffer each, about a kilobyte with the echoed request) well inside the default 208 KiB
// receive buffer, where an overrun would drop them.
const maxBatch = 64

// run applies ops in order. Operations on a service whose addition failed are not attempted
// and are reported as failed too. run owns ops: the report's Applied list is written over
// it (each operation yields at most one applied, after it has been read), so a table from
// empty costs no second list of thousands of operations.
//
// With a batching backend, runs of consecutive additions and updates, or of deletions, go
// in batches; an operation that fails in its batch is then retried alone through runOne
// (with its conversions and backoff). Only operations of one kind of run share a batch, so
// a retried addition still comes before any deletion that followed it: a service never
// loses a real server before its replacement is in.
func (r *Reconciler) run(ctx context.Context, ops []Op) Report {
	var rep Report
	out := ops[:0]
	applied := func(o Op) { out = append(out, o) }
	broken := map[ServiceKey]error{}
	bb, _ := r.b.(batcher)
	for len(ops) > 0 {
		n := 1
		var batchErrs []error
		if bb != nil {
			if n = batchLen(ops); n > 1 {
				batchErrs = bb.applyBatch(ops[:n])
			}
		}
		for i, o := range ops[:n] {
			if batchErrs != nil && batchErrs[i] == nil {
				applied(o)
				continue
			}
			if err, ok := broken[o.Service.Key]; ok && o.Kind != SetTimeouts && o.Kind != StartSyncDaemon && o.Kind != StopSyncDaemon {
				rep.Failed = append(rep.Failed, &OpError{Op: o, Err: fmt.Errorf("not attempted, service missing: %w", err)})
				continue
			}
			done, attempts, err := r.runOne(ctx, o)
			if err != nil {
				rep.Failed = append(rep.Failed, &OpError{Op: o, Attempts: attempts, Err: err})
				if o.Kind == AddService {
					broken[o.Service.Key] = err
				}
				continue
			}
			if done.Kind != 0 {
				applied(done)
			}
		}
		ops = ops[n:]
	}
	if len(out) > 0 {
		rep.Applied = out
	}
	return rep
}

// batchLen is how many of ops, from the first, may go in one batch: at most maxBatch
// consecutive operations that all add or update, or all delete, services and destinations.
func batchLen(ops []Op) int {
	class := batchClass(ops[0].Kind)
	if class == 0 {
		return 1
	}
	n := 1
	for n < len(ops) && n < maxBatch && batchClass(ops[n].Kind) == class {
		n++
	}
	return n
}

// batchClass is 1 for additions and updates, 2 for deletions, 0 for what is never batched.
func batchClass(k OpKind) int {
	switch k {
	case AddService, UpdateService, AddDestination, UpdateDestination:
		return 1
	case DeleteService, DeleteDestination:
		return 2
	}
	return 0
}

// runOne applies o with retries. It absorbs the races a fresh read would resolve the same
// way, as keepalived does: adding what exists becomes an update, updating a missing
// destination becomes an add, deleting what is gone is done. It returns the operation
// actually applied (zero Kind if none was needed) and the number of attempts.
func (r *Reconciler) runOne(ctx context.Context, o Op) (Op, int, error) {
	wait := r.opts.Backoff
	var err error
	for n := 1; n <= r.opts.Attempts; n++ {
		if err = apply(r.b, o); err == nil {
			return o, n, nil
		}
		switch {
		case o.Kind == AddService && errors.Is(err, syscall.EEXIST):
			o.Kind = UpdateService
			continue
		case o.Kind == AddDestination && errors.Is(err, syscall.EEXIST):
			o.Kind = UpdateDestination
			continue
		case o.Kind == UpdateDestination && errors.Is(err, syscall.ENOENT):
			o.Kind = AddDestination
			continue
		case (o.Kind == DeleteService || o.Kind == DeleteDestination) && isNotFound(err):
			return Op{}, n, nil
		case o.Kind == StopSyncDaemon && errors.Is(err, syscall.ESRCH):
			return Op{}, n, nil
		case permanent(err):
			return o, n, err
		}
		if n < r.opts.Attempts {
			if serr := r.opts.Sleep(ctx, wait); serr != nil {
				return o, n, errors.Join(err, serr)
			}
			wait *= 2
		}
	}
	return o, r.opts.Attempts, err
}
