package vrrptest

import (
	"net/netip"
	"slices"
	"sync"

	"github.com/halvs/halvs/vrrp/kernel"
)

// Announcer counts the announcements of each address. The zero Announcer is ready to use.
type Announcer struct {
	mu       sync.Mutex
	count    map[netip.Addr]int
	prepared []string // "dev addr" per Prepare call made before any announcement
	closed   bool
}

var _ kernel.Announcer = (*Announcer)(nil)

// Prepare records the call when it comes before any announcement, as the runner prepares
// every VIP at its start.
func (f *Announcer) Prepare(dev string, addr netip.Addr) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.count) == 0 {
		f.prepared = append(f.prepared, dev+" "+addr.String())
	}
	return nil
}

// Announce counts one announcement of addr.
func (f *Announcer) Announce(_ string, addr netip.Addr) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.count == nil {
		f.count = map[netip.Addr]int{}
	}
	f.count[addr]++
	return nil
}

// Close records the call, for a test that checks who closes an Announcer it was handed.
func (f *Announcer) Close() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.closed = true
	return nil
}

// Closed reports whether Close was called.
func (f *Announcer) Closed() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.closed
}

// Count returns how many times addr was announced.
func (f *Announcer) Count(addr netip.Addr) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.count[addr]
}

// Total returns how many announcements were made, of every address.
func (f *Announcer) Total() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, c := range f.count {
		n += c
	}
	return n
}

// Prepared returns the Prepare calls made before the first announcement, "dev addr" each.
func (f *Announcer) Prepared() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.prepared)
}
