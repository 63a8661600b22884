// Package bgptest holds the bgp package's test doubles: a Speaker that records what it is
// asked to announce, and Addresses and Dummies that keep the interface in memory.
package bgptest

import (
	"context"
	"net/netip"
	"slices"
	"sort"
	"sync"

	"github.com/halvs/halvs/bgp"
)

// Speaker is a bgp.Speaker that records every call. Its sessions are ESTABLISHED while it
// runs. It is safe for concurrent use.
type Speaker struct {
	mu        sync.Mutex
	running   bool
	starts    int
	neighbors []bgp.Neighbor
	announced map[netip.Prefix]bool
	log       []string
}

// NewSpeaker returns a stopped Speaker.
func NewSpeaker() *Speaker { return &Speaker{announced: map[netip.Prefix]bool{}} }

func (f *Speaker) Start(_ context.Context, c bgp.SpeakerConfig) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.running, f.neighbors = true, c.Neighbors
	f.starts++
	f.log = append(f.log, "start")
	return nil
}

func (f *Speaker) SetNeighbors(_ context.Context, list []bgp.Neighbor) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.neighbors = list
	f.log = append(f.log, "neighbors")
	return nil
}

func (f *Speaker) Announce(_ context.Context, p netip.Prefix) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.announced[p] = true
	f.log = append(f.log, "+"+p.String())
	return nil
}

func (f *Speaker) Withdraw(_ context.Context, p netip.Prefix) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.announced, p)
	f.log = append(f.log, "-"+p.String())
	return nil
}

func (f *Speaker) Neighbors(context.Context) ([]bgp.NeighborStatus, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []bgp.NeighborStatus
	for _, n := range f.neighbors {
		st := "IDLE"
		if f.running {
			st = bgp.StateEstablished
		}
		out = append(out, bgp.NeighborStatus{Addr: n.Addr, PeerASN: n.PeerASN, State: st})
	}
	return out, nil
}

func (f *Speaker) Stop(context.Context) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.running = false
	f.announced = map[netip.Prefix]bool{}
	f.log = append(f.log, "stop")
	return nil
}

// Announced lists the prefixes announced now, sorted.
func (f *Speaker) Announced() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for p := range f.announced {
		out = append(out, p.String())
	}
	sort.Strings(out)
	return out
}

// Log is every call so far: "start", "neighbors", "+PREFIX", "-PREFIX", "stop".
func (f *Speaker) Log() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.log)
}

// ResetLog forgets the calls so far.
func (f *Speaker) ResetLog() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.log = nil
}

// Starts counts the Start calls; Peers is the neighbor list in force.
func (f *Speaker) Starts() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.starts
}

func (f *Speaker) Peers() []bgp.Neighbor {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.neighbors)
}

// Addresses is a bgp.Addresses (and the director's BGPDummies) in memory: interface name →
// its addresses.
type Addresses struct {
	mu  sync.Mutex
	ifs map[string][]netip.Prefix
}

func NewAddresses() *Addresses { return &Addresses{ifs: map[string][]netip.Prefix{}} }

func (f *Addresses) Set(name string, list []netip.Prefix) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.ifs[name] = slices.Clone(list)
	return nil
}

// Ensure creates the interface with no addresses when it is missing.
func (f *Addresses) Ensure(name string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.ifs[name]; !ok {
		f.ifs[name] = nil
	}
	return nil
}

func (f *Addresses) Remove(name string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.ifs, name)
	return nil
}

// Of returns the interface's addresses and whether it exists.
func (f *Addresses) Of(name string) ([]netip.Prefix, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	l, ok := f.ifs[name]
	return slices.Clone(l), ok
}
