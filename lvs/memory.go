package lvs

import (
	"net/netip"
	"slices"
	"sync"
	"syscall"
)

// Memory is an in-memory Backend that behaves like the kernel's IPVS table (same errors for
// the same mistakes), for tests of the reconciler and of the packages that drive it. It
// counts the changes it receives and can be told to fail some. Safe for concurrent use.
type Memory struct {
	mu       sync.Mutex
	services map[ServiceKey]*memService
	order    []ServiceKey // insertion order, as the kernel's dump is not sorted either
	timeouts Timeouts
	daemons  map[SyncRole]SyncDaemon
	calls    int
	stats    map[ServiceKey]ServiceStats // see SetStats

	// Fail, when set, is asked before each change; a non-nil error fails that change,
	// which then leaves the table untouched.
	Fail func(Op) error
}

type memService struct {
	svc   Service
	dests []Destination
}

// NewMemory returns an empty table with the kernel's default timeouts (900 s, 120 s, 300 s).
func NewMemory() *Memory {
	return &Memory{
		services: map[ServiceKey]*memService{},
		daemons:  map[SyncRole]SyncDaemon{},
		timeouts: Timeouts{TCP: 900e9, TCPFin: 120e9, UDP: 300e9},
	}
}

// Changes is how many change requests (successful or not) the table has received.
func (m *Memory) Changes() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.calls
}

func (m *Memory) change(o Op) error {
	m.calls++
	if m.Fail != nil {
		return m.Fail(o)
	}
	return nil
}

// Services implements Backend.
func (m *Memory) Services() ([]VirtualServer, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]VirtualServer, 0, len(m.order))
	for _, k := range m.order {
		s := m.services[k]
		out = append(out, VirtualServer{Service: s.svc, Destinations: slices.Clone(s.dests)})
	}
	return out, nil
}

// Service implements Backend.
func (m *Memory) Service(k ServiceKey) (VirtualServer, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	s := m.services[k]
	if s == nil {
		return VirtualServer{}, syscall.ESRCH
	}
	return VirtualServer{Service: s.svc, Destinations: slices.Clone(s.dests)}, nil
}

// AddService implements Backend.
func (m *Memory) AddService(s Service) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.change(Op{Kind: AddService, Service: s}); err != nil {
		return err
	}
	if err := s.Validate(); err != nil {
		return syscall.EINVAL
	}
	if m.services[s.Key] != nil {
		return syscall.EEXIST
	}
	m.services[s.Key] = &memService{svc: s.normalized()}
	m.order = append(m.order, s.Key)
	return nil
}

// UpdateService implements Backend.
func (m *Memory) UpdateService(s Service) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.change(Op{Kind: UpdateService, Service: s}); err != nil {
		return err
	}
	if err := s.Validate(); err != nil {
		return syscall.EINVAL
	}
	ms := m.services[s.Key]
	if ms == nil {
		return syscall.ESRCH
	}
	ms.svc = s.normalized()
	return nil
}

// DeleteService implements Backend.
func (m *Memory) DeleteService(k ServiceKey) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.change(Op{Kind: DeleteService, Service: Service{Key: k}}); err != nil {
		return err
	}
	if m.services[k] == nil {
		return syscall.ESRCH
	}
	delete(m.services, k)
	m.order = slices.DeleteFunc(m.order, func(x ServiceKey) bool { return x == k })
	return nil
}

// AddDestination implements Backend.
func (m *Memory) AddDestination(k ServiceKey, d Destination) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.change(Op{Kind: AddDestination, Service: Service{Key: k}, Dest: d}); err != nil {
		return err
	}
	ms := m.services[k]
	if ms == nil {
		return syscall.ESRCH
	}
	if !kernelAccepts(k, d) {
		return syscall.EINVAL
	}
	if indexDest(ms.dests, d.Addr) >= 0 {
		return syscall.EEXIST
	}
	ms.dests = append(ms.dests, d)
	return nil
}

// UpdateDestination implements Backend.
func (m *Memory) UpdateDestination(k ServiceKey, d Destination) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.change(Op{Kind: UpdateDestination, Service: Service{Key: k}, Dest: d}); err != nil {
		return err
	}
	ms := m.services[k]
	if ms == nil {
		return syscall.ESRCH
	}
	if !kernelAccepts(k, d) {
		return syscall.EINVAL
	}
	i := indexDest(ms.dests, d.Addr)
	if i < 0 {
		return syscall.ENOENT
	}
	ms.dests[i] = d
	return nil
}

// DeleteDestination implements Backend.
func (m *Memory) DeleteDestination(k ServiceKey, a netip.AddrPort) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.change(Op{Kind: DeleteDestination, Service: Service{Key: k}, Dest: Destination{Addr: a}}); err != nil {
		return err
	}
	ms := m.services[k]
	if ms == nil {
		return syscall.ESRCH
	}
	i := indexDest(ms.dests, a)
	if i < 0 {
		return syscall.ENOENT
	}
	ms.dests = slices.Delete(ms.dests, i, i+1)
	return nil
}

// Timeouts implements Backend.
func (m *Memory) Timeouts() (Timeouts, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.timeouts, nil
}

// SetTimeouts implements Backend; a zero field leaves that timeout as it is.
func (m *Memory) SetTimeouts(t Timeouts) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.change(Op{Kind: SetTimeouts, Timeouts: t}); err != nil {
		return err
	}
	if t.TCP != 0 {
		m.timeouts.TCP = t.TCP
	}
	if t.TCPFin != 0 {
		m.timeouts.TCPFin = t.TCPFin
	}
	if t.UDP != 0 {
		m.timeouts.UDP = t.UDP
	}
	return nil
}

// SyncDaemons implements Backend.
func (m *Memory) SyncDaemons() ([]SyncDaemon, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []SyncDaemon
	for _, r := range []SyncRole{SyncMaster, SyncBackup} {
		if d, ok := m.daemons[r]; ok {
			out = append(out, d)
		}
	}
	return out, nil
}

// StartSyncDaemon implements Backend.
func (m *Memory) StartSyncDaemon(d SyncDaemon) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.change(Op{Kind: StartSyncDaemon, Daemon: d}); err != nil {
		return err
	}
	if d.Validate() != nil {
		return syscall.EINVAL
	}
	if _, ok := m.daemons[d.Role]; ok {
		return syscall.EEXIST
	}
	m.daemons[d.Role] = d
	return nil
}

// StopSyncDaemon implements Backend.
func (m *Memory) StopSyncDaemon(r SyncRole) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.change(Op{Kind: StopSyncDaemon, Daemon: SyncDaemon{Role: r}}); err != nil {
		return err
	}
	if _, ok := m.daemons[r]; !ok {
		return syscall.ESRCH
	}
	delete(m.daemons, r)
	return nil
}

// kernelAccepts is Destination.Validate loosened as the kernel is: it also takes Local.
func kernelAccepts(k ServiceKey, d Destination) bool {
	if d.Forward == Local {
		d.Forward = NAT
	}
	return d.Validate(k) == nil
}
