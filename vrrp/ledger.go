package vrrp

import (
	"cmp"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"sync"
)

// AddedVIPs is implemented by an Addresser that knows which VIPs halvs itself added (a
// Ledger). At start an instance removes only the VIPs it reports as added, left by an earlier
// run; with an Addresser that does not implement it, start removes nothing.
type AddedVIPs interface {
	// Added reports whether v's address with v's prefix length on v's interface was added
	// by halvs and not removed since.
	Added(v VIP) bool
}

// Ledger is an Addresser that records each VIP it adds until it removes it, so that halvs can
// tell the addresses it added from the host's own. With a path, the record is a JSON file
// that outlives the process: the VIP is recorded before it is added, so a run killed at any
// point (SIGKILL included) leaves every address it may have added on record, and the next
// start removes them. A record of an address that is absent costs nothing: removing it is a
// no-op. The file is replaced by rename, never written in place, so it is always whole; it
// is not synced to disk, since it need only outlive the process, not the machine, whose
// addresses go with it.
//
// A VIP is identified by its interface, address and prefix length, as the kernel does; its
// label and scope do not matter. A Ledger is safe for concurrent use.
type Ledger struct {
	next Addresser
	path string // "" keeps the record in memory
	log  *slog.Logger

	mu   sync.Mutex
	held map[ledgerKey]bool
}

var (
	_ Addresser = (*Ledger)(nil)
	_ AddedVIPs = (*Ledger)(nil)
)

type ledgerKey struct {
	Dev    string
	Prefix netip.Prefix
}

func ledgerKeyOf(v VIP) ledgerKey { return ledgerKey{Dev: v.Dev, Prefix: v.Prefix} }

// ledgerFile is the record's format on disk.
type ledgerFile struct {
	VIPs []ledgerEntry `json:"vips"`
}

type ledgerEntry struct {
	Dev    string       `json:"dev"`
	Prefix netip.Prefix `json:"prefix"`
}

// OpenLedger returns a Ledger over next with the record kept in the file at path, reading
// what an earlier run left there; path "" keeps the record in memory only (nothing from an
// earlier run is known). A missing file is written at once, and the directory of an
// existing one tried, so that a location where the record cannot be written is an error now
// rather than at the first takeover. A file that cannot be read or parsed is an error: halvs
// never leaves it in that state, and guessing would either delete the host's addresses or
// leave stale VIPs. log is slog.Default when nil.
func OpenLedger(path string, next Addresser, log *slog.Logger) (*Ledger, error) {
	if log == nil {
		log = slog.Default()
	}
	l := &Ledger{next: next, path: path, log: log, held: map[ledgerKey]bool{}}
	if path == "" {
		return l, nil
	}
	b, found, err := readRecord(path)
	switch {
	case err != nil:
		return nil, fmt.Errorf("vrrp: VIP record: %w", err)
	case !found:
		if err := l.persist(); err != nil {
			return nil, err
		}
		return l, nil
	}
	var f ledgerFile
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, fmt.Errorf("vrrp: VIP record %s is not valid (%v); if no halvs runs, remove the addresses it lists by hand, then the file", path, err)
	}
	for _, e := range f.VIPs {
		if !e.Prefix.IsValid() || e.Dev == "" {
			return nil, fmt.Errorf("vrrp: VIP record %s lists an entry without an address or interface", path)
		}
		l.held[ledgerKey(e)] = true
	}
	// The record stays as it is (a second halvs started by mistake must not rewrite the
	// running one's); only the directory is tried, where every update writes.
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return nil, fmt.Errorf("vrrp: VIP record: %w", err)
	}
	tmp.Close()
	os.Remove(tmp.Name())
	return l, nil
}

// Path is the record file; "" when the record is kept in memory.
func (l *Ledger) Path() string { return l.path }

// AddVIP records v, then adds it. When the add fails, a VIP that was not on record before
// is forgotten again. A record that cannot be written does not stop the add (a takeover
// matters more); it is logged, since a crash would then leave the VIP behind.
func (l *Ledger) AddVIP(v VIP) error {
	k := ledgerKeyOf(v)
	l.mu.Lock()
	was := l.held[k]
	if !was {
		l.held[k] = true
		l.persistOrLog()
	}
	l.mu.Unlock()
	err := l.next.AddVIP(v)
	if err != nil && !was {
		l.mu.Lock()
		delete(l.held, k)
		l.persistOrLog()
		l.mu.Unlock()
	}
	return err
}

// DelVIP removes v, then forgets it. A VIP whose removal fails stays on record.
func (l *Ledger) DelVIP(v VIP) error {
	if err := l.next.DelVIP(v); err != nil {
		return err
	}
	k := ledgerKeyOf(v)
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.held[k] {
		delete(l.held, k)
		l.persistOrLog()
	}
	return nil
}

// HasVIP asks the Addresser underneath.
func (l *Ledger) HasVIP(v VIP) (bool, error) { return l.next.HasVIP(v) }

// Added reports whether v is on record.
func (l *Ledger) Added(v VIP) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.held[ledgerKeyOf(v)]
}

// Recorded returns the VIPs on record (interface and prefix only), sorted.
func (l *Ledger) Recorded() []VIP {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.sortedLocked()
}

func (l *Ledger) sortedLocked() []VIP {
	out := make([]VIP, 0, len(l.held))
	for k := range l.held {
		out = append(out, VIP{Prefix: k.Prefix, Dev: k.Dev})
	}
	slices.SortFunc(out, func(a, b VIP) int {
		return cmp.Or(cmp.Compare(a.Dev, b.Dev), a.Prefix.Addr().Compare(b.Prefix.Addr()), cmp.Compare(a.Prefix.Bits(), b.Prefix.Bits()))
	})
	return out
}

func (l *Ledger) persistOrLog() {
	if err := l.persist(); err != nil {
		l.log.Error("cannot update the record of the VIPs halvs added; after a crash, the next start would not remove them", "err", err)
	}
}

// persist writes the record to a temporary file beside it and renames that over it. Called
// with mu held (or before the Ledger is shared).
func (l *Ledger) persist() error {
	if l.path == "" {
		return nil
	}
	var f ledgerFile
	for _, v := range l.sortedLocked() {
		f.VIPs = append(f.VIPs, ledgerEntry{Dev: v.Dev, Prefix: v.Prefix})
	}
	if f.VIPs == nil {
		f.VIPs = []ledgerEntry{}
	}
	if err := writeRecord(l.path, f); err != nil {
		return fmt.Errorf("vrrp: VIP record: %w", err)
	}
	return nil
}
