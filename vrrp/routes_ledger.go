package vrrp

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"

	"golang.org/x/sys/unix"
)

// RouteLedger is a RouteManager that removes only the routes and rules halvs added, as the
// Ledger does for VIPs: each is recorded before it is added, forgotten when the kernel says
// it was there already (EEXIST: the host's own, or another program's, which halvs then
// never removes), and forgotten again once removed. With a path, the record is a JSON file
// that outlives the process, replaced by rename, so that the next start removes what a
// killed run left (RemoveLeftovers). A route or rule is identified by all its attributes
// (Route.String, Rule.String). A RouteLedger is safe for concurrent use.
type RouteLedger struct {
	next RouteManager
	path string
	log  *slog.Logger

	mu     sync.Mutex
	routes map[string]Route
	rules  map[string]Rule
}

var _ RouteManager = (*RouteLedger)(nil)

type routeLedgerFile struct {
	Routes []Route `json:"routes"`
	Rules  []Rule  `json:"rules"`
}

// OpenRouteLedger returns a RouteLedger over next with the record in the file at path
// (read if it exists, written at once if not); path "" keeps it in memory. A file that
// cannot be read or parsed is an error, as with OpenLedger. log is slog.Default when nil.
func OpenRouteLedger(path string, next RouteManager, log *slog.Logger) (*RouteLedger, error) {
	if log == nil {
		log = slog.Default()
	}
	l := &RouteLedger{next: next, path: path, log: log, routes: map[string]Route{}, rules: map[string]Rule{}}
	if path == "" {
		return l, nil
	}
	b, found, err := readRecord(path)
	switch {
	case err != nil:
		return nil, fmt.Errorf("vrrp: route record: %w", err)
	case !found:
		return l, l.persist()
	}
	var f routeLedgerFile
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, fmt.Errorf("vrrp: route record %s is not valid (%v); if no halvs runs, remove the routes and rules it lists by hand, then the file", path, err)
	}
	for _, r := range f.Routes {
		l.routes[r.String()] = r
	}
	for _, r := range f.Rules {
		l.rules[r.String()] = r
	}
	return l, nil
}

// AddRoute records r and adds it. A route the kernel has already is success and is not
// halvs' (unless an earlier add recorded it).
func (l *RouteLedger) AddRoute(r Route) error {
	return ledgerAdd(l, l.routes, r.String(), r, l.next.AddRoute)
}

// DelRoute removes r if halvs added it; a route halvs did not add is left alone.
func (l *RouteLedger) DelRoute(r Route) error {
	return ledgerDel(l, l.routes, r.String(), r, l.next.DelRoute)
}

// AddRule records r and adds it, as AddRoute.
func (l *RouteLedger) AddRule(r Rule) error {
	return ledgerAdd(l, l.rules, r.String(), r, l.next.AddRule)
}

// DelRule removes r if halvs added it, as DelRoute.
func (l *RouteLedger) DelRule(r Rule) error {
	return ledgerDel(l, l.rules, r.String(), r, l.next.DelRule)
}

func ledgerAdd[T any](l *RouteLedger, held map[string]T, key string, x T, add func(T) error) error {
	l.mu.Lock()
	_, was := held[key]
	if !was {
		held[key] = x
		l.persistOrLog()
	}
	l.mu.Unlock()
	err := add(x)
	if err == nil {
		return nil
	}
	exists := errors.Is(err, unix.EEXIST)
	if !was {
		l.mu.Lock()
		delete(held, key)
		l.persistOrLog()
		l.mu.Unlock()
	}
	if exists {
		if !was {
			l.log.Info("already in the kernel, not added by halvs: left as it is, and never removed", "what", key)
		}
		return nil
	}
	return err
}

func ledgerDel[T any](l *RouteLedger, held map[string]T, key string, x T, del func(T) error) error {
	l.mu.Lock()
	_, ours := held[key]
	l.mu.Unlock()
	if !ours {
		return nil
	}
	if err := del(x); err != nil {
		return err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(held, key)
	l.persistOrLog()
	return nil
}

// Added reports whether halvs added r (an earlier run included) and has not removed it.
func (l *RouteLedger) Added(r Route) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	_, ok := l.routes[r.String()]
	return ok
}

// AddedRule reports whether halvs added r (an earlier run included) and has not removed it.
func (l *RouteLedger) AddedRule(r Rule) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	_, ok := l.rules[r.String()]
	return ok
}

// Recorded returns the routes and rules on record, sorted by their String.
func (l *RouteLedger) Recorded() ([]Route, []Rule) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return sortedValues(l.routes), sortedValues(l.rules)
}

func sortedValues[T any](m map[string]T) []T {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	out := make([]T, 0, len(m))
	for _, k := range keys {
		out = append(out, m[k])
	}
	return out
}

// RemoveLeftovers removes what is on record and not in keepRoutes / keepRules: what an
// earlier run added and left (killed, or with another config). Rules go first, as when an
// instance leaves MASTER. Called at start, before anything of this run is on record.
func (l *RouteLedger) RemoveLeftovers(keepRoutes []Route, keepRules []Rule) {
	routes, rules := l.Recorded()
	for _, r := range rules {
		if slices.ContainsFunc(keepRules, func(k Rule) bool { return k.String() == r.String() }) {
			continue
		}
		l.log.Info("removing a rule an earlier run added and left", "rule", r.String())
		if err := l.DelRule(r); err != nil {
			l.log.Error("cannot remove a rule an earlier run left", "rule", r.String(), "err", err)
		}
	}
	for _, r := range routes {
		if slices.ContainsFunc(keepRoutes, func(k Route) bool { return k.String() == r.String() }) {
			continue
		}
		l.log.Info("removing a route an earlier run added and left", "route", r.String())
		if err := l.DelRoute(r); err != nil {
			l.log.Error("cannot remove a route an earlier run left", "route", r.String(), "err", err)
		}
	}
}

func (l *RouteLedger) persistOrLog() {
	if err := l.persist(); err != nil {
		l.log.Error("cannot update the record of the routes and rules halvs added; after a crash, the next start would not remove them", "err", err)
	}
}

// persist writes the record beside itself and renames it over; called with mu held (or
// before the RouteLedger is shared).
func (l *RouteLedger) persist() error {
	if l.path == "" {
		return nil
	}
	if err := writeRecord(l.path, routeLedgerFile{Routes: sortedValues(l.routes), Rules: sortedValues(l.rules)}); err != nil {
		return fmt.Errorf("vrrp: route record: %w", err)
	}
	return nil
}
