package vrrp

import (
	"fmt"
	"slices"
	"sync"
)

// MemoryVMACs is a VMACManager that keeps VMACs in memory and answers as VMACs does over the
// kernel: creating one whose name the host uses (HostLinks) is ErrNotOurVMAC, creating one
// that exists makes it again, deleting one that is absent succeeds. Ops lists what was done,
// in order ("create vrrp.51 on eth0", "delete vrrp.51"). Unit tests use it in place of
// VMACs. It is safe for concurrent use.
type MemoryVMACs struct {
	HostLinks []string // interfaces the host has that halvs did not create

	mu   sync.Mutex
	held []VMAC
	ops  []string
}

var _ VMACManager = (*MemoryVMACs)(nil)

// CreateVMAC adds v.
func (m *MemoryVMACs) CreateVMAC(v VMAC) error {
	if err := v.Validate(); err != nil {
		return err
	}
	if slices.Contains(m.HostLinks, v.Name) {
		return fmt.Errorf("vrrp: use_vmac %s: %w", v.Name, ErrNotOurVMAC)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.held = slices.DeleteFunc(m.held, func(h VMAC) bool { return h.Name == v.Name })
	m.held = append(m.held, v)
	m.ops = append(m.ops, "create "+v.Name+" on "+v.Base)
	return nil
}

// DeleteVMAC removes v if held.
func (m *MemoryVMACs) DeleteVMAC(v VMAC) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if !slices.ContainsFunc(m.held, func(h VMAC) bool { return h.Name == v.Name }) {
		return nil
	}
	m.held = slices.DeleteFunc(m.held, func(h VMAC) bool { return h.Name == v.Name })
	m.ops = append(m.ops, "delete "+v.Name)
	return nil
}

// Held returns the VMACs that exist.
func (m *MemoryVMACs) Held() []VMAC {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.held)
}

// Ops returns what was done, in order.
func (m *MemoryVMACs) Ops() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.ops)
}
