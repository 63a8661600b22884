package vrrptest

import (
	"net/netip"
	"slices"
	"sync"

	"github.com/halvs/halvs/vrrp/kernel"
)

// Addresser is one host's addresses. Like the netlink one it is idempotent; its log (Ops)
// holds the calls that changed something, "add 10.0.0.1/32" and "del 10.0.0.1/32", so that
// removing what is absent shows as nothing rather than as a flap. The zero Addresser holds
// nothing.
type Addresser struct {
	mu     sync.Mutex
	have   map[netip.Prefix]bool
	ops    []string
	checks int
	closed bool
}

var _ kernel.Addresser = (*Addresser)(nil)

// AddVIP adds v.Prefix.
func (a *Addresser) AddVIP(v kernel.VIP) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.have == nil {
		a.have = map[netip.Prefix]bool{}
	}
	a.have[v.Prefix] = true
	a.ops = append(a.ops, "add "+v.Prefix.String())
	return nil
}

// DelVIP removes v.Prefix.
func (a *Addresser) DelVIP(v kernel.VIP) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.have[v.Prefix] {
		a.ops = append(a.ops, "del "+v.Prefix.String())
	}
	delete(a.have, v.Prefix)
	return nil
}

// HasVIP reports whether v.Prefix is held, and counts the check (Checks).
func (a *Addresser) HasVIP(v kernel.VIP) (bool, error) {
	a.mu.Lock()
	a.checks++
	a.mu.Unlock()
	return a.Has(v.Prefix), nil
}

// Checks is how many times HasVIP was asked: what a kernel would have been asked.
func (a *Addresser) Checks() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.checks
}

// Close records the call, for a test that checks who closes an Addresser it was handed.
func (a *Addresser) Close() error {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.closed = true
	return nil
}

// Closed reports whether Close was called.
func (a *Addresser) Closed() bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.closed
}

// Has reports whether p is held.
func (a *Addresser) Has(p netip.Prefix) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.have[p]
}

// Held returns the addresses held, by address.
func (a *Addresser) Held() []netip.Prefix {
	a.mu.Lock()
	defer a.mu.Unlock()
	var out []netip.Prefix
	for p := range a.have {
		out = append(out, p)
	}
	slices.SortFunc(out, func(x, y netip.Prefix) int { return x.Addr().Compare(y.Addr()) })
	return out
}

// Ops returns the log of changes.
func (a *Addresser) Ops() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return slices.Clone(a.ops)
}

// TakeOps returns the log of changes and starts a new one.
func (a *Addresser) TakeOps() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	ops := a.ops
	a.ops = nil
	return ops
}

// Note appends op to the log, for a test that puts other kernel changes (routes) in the one
// order they happened.
func (a *Addresser) Note(op string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.ops = append(a.ops, op)
}

// Put adds p with no entry in the log: an address the host had of its own.
func (a *Addresser) Put(p netip.Prefix) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.have == nil {
		a.have = map[netip.Prefix]bool{}
	}
	a.have[p] = true
}

// Drop removes p with no entry in the log: an operator's `ip addr del` behind the
// instance's back.
func (a *Addresser) Drop(p netip.Prefix) {
	a.mu.Lock()
	defer a.mu.Unlock()
	delete(a.have, p)
}
