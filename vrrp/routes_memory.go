package vrrp

import (
	"fmt"
	"sync"

	"golang.org/x/sys/unix"
)

// MemoryRoutes is a RouteManager that keeps routes and rules in memory and answers as the
// kernel does: adding what it holds already is EEXIST, removing what it lacks succeeds (as
// NetlinkRoutes reports it). Unit tests use it in place of NetlinkRoutes. A route or rule is
// identified by all its attributes. It is safe for concurrent use.
type MemoryRoutes struct {
	mu     sync.Mutex
	routes map[string]Route
	rules  map[string]Rule
}

var _ RouteManager = (*MemoryRoutes)(nil)

// AddRoute adds r, or fails with EEXIST.
func (m *MemoryRoutes) AddRoute(r Route) error {
	if err := r.Validate(); err != nil {
		return &RouteError{Op: "add route", What: r.String(), Err: err}
	}
	return memAdd(&m.mu, &m.routes, r.String(), r, "add route")
}

// DelRoute removes r if present.
func (m *MemoryRoutes) DelRoute(r Route) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.routes, r.String())
	return nil
}

// AddRule adds r, or fails with EEXIST.
func (m *MemoryRoutes) AddRule(r Rule) error {
	if err := r.Validate(); err != nil {
		return &RouteError{Op: "add rule", What: r.String(), Err: err}
	}
	return memAdd(&m.mu, &m.rules, r.String(), r, "add rule")
}

// DelRule removes r if present.
func (m *MemoryRoutes) DelRule(r Rule) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.rules, r.String())
	return nil
}

func memAdd[T any](mu *sync.Mutex, held *map[string]T, key string, x T, op string) error {
	mu.Lock()
	defer mu.Unlock()
	if _, ok := (*held)[key]; ok {
		return &RouteError{Op: op, What: key, Err: fmt.Errorf("file exists: %w", unix.EEXIST)}
	}
	if *held == nil {
		*held = map[string]T{}
	}
	(*held)[key] = x
	return nil
}

// Routes returns the routes held, as Route.String, sorted.
func (m *MemoryRoutes) Routes() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return routeKeys(sortedValues(m.routes))
}

// Rules returns the rules held, as Rule.String, sorted.
func (m *MemoryRoutes) Rules() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []string
	for _, r := range sortedValues(m.rules) {
		out = append(out, r.String())
	}
	return out
}
