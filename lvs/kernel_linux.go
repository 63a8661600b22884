package lvs

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math/bits"
	"net"
	"net/netip"
	"sync"
	"time"

	"github.com/moby/ipvs"
	"github.com/vishvananda/netlink/nl"
)

// Kernel service flags (IP_VS_SVC_F_* in linux/ip_vs.h). HASHED is the kernel's own
// bookkeeping, reported back but never ours to set.
const (
	svcPersistent = 0x0001
	svcHashed     = 0x0002
	svcOnePacket  = 0x0004
	svcSched1     = 0x0008
	svcSched2     = 0x0010
	svcSched3     = 0x0020
)

// ErrClosed is returned by every method of a Kernel after Close.
var ErrClosed = errors.New("lvs: kernel handle closed")

// Kernel is the Backend of the running kernel's IPVS table, in the network namespace of the
// thread that called NewKernel (its sockets are opened there and stay bound to it, whichever
// thread uses them later), through github.com/moby/ipvs (plus batch_linux.go for batched
// changes, syncd_linux.go for the sync daemon and stats_linux.go for the 64-bit counters,
// all on the Kernel's own socket).
// moby/ipvs handles are not safe for concurrent use, so one mutex owns the handle; Kernel
// itself is safe for concurrent use.
type Kernel struct {
	mu     sync.Mutex
	h      *ipvs.Handle
	family uint16 // IPVS generic-netlink family id, for the sync-daemon and batch requests
	// batch is the socket of applyBatch (batch_linux.go); seq numbers its messages.
	batch *nl.NetlinkSocket
	seq   uint32
	buf   []byte // applyBatch's messages, reused from batch to batch
}

// NewKernel opens the kernel's IPVS table. It returns ErrNoIPVS when the kernel has no IPVS.
// Close it when done.
func NewKernel() (*Kernel, error) {
	if err := Available(); err != nil {
		return nil, err
	}
	fam, err := ipvsFamilyID()
	if err != nil {
		return nil, err
	}
	h, err := ipvs.New("")
	if err != nil {
		return nil, fmt.Errorf("lvs: open netlink handle: %w", err)
	}
	batch, err := openBatchSocket()
	if err != nil {
		h.Close()
		return nil, err
	}
	return &Kernel{h: h, family: fam, batch: batch}, nil
}

// handle is the open moby/ipvs handle, or ErrClosed after Close. k.mu must be held.
func (k *Kernel) handle() (*ipvs.Handle, error) {
	if k.h == nil {
		return nil, ErrClosed
	}
	return k.h, nil
}

// Close releases the netlink sockets; the Kernel's methods return ErrClosed afterwards.
// Closing twice is harmless.
func (k *Kernel) Close() error {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.h != nil {
		k.h.Close()
		k.h = nil
	}
	if k.batch != nil {
		k.batch.Close()
		k.batch = nil
	}
	return nil
}

// Services implements Backend.
func (k *Kernel) Services() ([]VirtualServer, error) {
	table, err := k.walk()
	if err != nil {
		return nil, err
	}
	out := make([]VirtualServer, len(table))
	for i, ks := range table {
		out[i] = VirtualServer{Service: ks.svc, Destinations: ks.dests}
	}
	return out, nil
}

// kernelService is one service of the kernel's table with its destinations, as walk reads
// them.
type kernelService struct {
	svc   Service
	dests []Destination
}

// walk reads the whole table: every service, then each one's destinations (one dump each, as
// IPVS's netlink interface has no dump of all destinations).
func (k *Kernel) walk() ([]kernelService, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	h, err := k.handle()
	if err != nil {
		return nil, err
	}
	svcs, err := h.GetServices()
	if err != nil {
		return nil, err
	}
	out := make([]kernelService, 0, len(svcs))
	for _, ms := range svcs {
		ks, err := k.withDestinations(h, ms)
		if err != nil {
			return nil, err
		}
		out = append(out, ks)
	}
	// moby/ipvs writes IPVS_SVC_ATTR_PE_NAME but does not read it back: one dump of our own
	// fills it in, so that a service with a persistence engine compares equal to its config.
	pes, err := k.peNames()
	if err != nil {
		return nil, err
	}
	for i := range out {
		out[i].svc.PE = pes[out[i].svc.Key]
	}
	return out, nil
}

// withDestinations reads the destinations of service ms (one dump, plus one for their
// tunnels when some use TUN). k.mu must be held.
func (k *Kernel) withDestinations(h *ipvs.Handle, ms *ipvs.Service) (kernelService, error) {
	s, err := fromMobyService(ms)
	if err != nil {
		return kernelService{}, err
	}
	dests, err := h.GetDestinations(ms)
	if err != nil {
		return kernelService{}, fmt.Errorf("destinations of %s: %w", s.Key, err)
	}
	ks := kernelService{svc: s, dests: make([]Destination, 0, len(dests))}
	for _, md := range dests {
		d, err := fromMobyDest(md)
		if err != nil {
			return kernelService{}, fmt.Errorf("destination of %s: %w", s.Key, err)
		}
		ks.dests = append(ks.dests, d)
	}
	if err := k.fillTunnels(&ks); err != nil {
		return kernelService{}, err
	}
	return ks, nil
}

// Service implements Backend: the service (ESRCH when absent), its persistence engine and
// its destinations, in four round trips at most instead of a walk of the whole table.
func (k *Kernel) Service(key ServiceKey) (VirtualServer, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	h, err := k.handle()
	if err != nil {
		return VirtualServer{}, err
	}
	ms, err := h.GetService(toMobyService(Service{Key: key}))
	if err != nil {
		return VirtualServer{}, fmt.Errorf("lvs: service %s: %w", key, err)
	}
	ks, err := k.withDestinations(h, ms)
	if err != nil {
		return VirtualServer{}, err
	}
	if ks.svc.PE, err = k.peName(key); err != nil {
		return VirtualServer{}, err
	}
	return VirtualServer{Service: ks.svc, Destinations: ks.dests}, nil
}

// AddService implements Backend.
func (k *Kernel) AddService(s Service) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	h, err := k.handle()
	if err != nil {
		return err
	}
	return h.NewService(toMobyService(s))
}

// UpdateService implements Backend.
func (k *Kernel) UpdateService(s Service) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	h, err := k.handle()
	if err != nil {
		return err
	}
	return h.UpdateService(toMobyService(s))
}

// DeleteService implements Backend.
func (k *Kernel) DeleteService(key ServiceKey) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	h, err := k.handle()
	if err != nil {
		return err
	}
	return h.DelService(toMobyService(Service{Key: key}))
}

// AddDestination implements Backend.
func (k *Kernel) AddDestination(key ServiceKey, d Destination) error {
	if hasTunnel(d) {
		return k.applyOne(Op{Kind: AddDestination, Service: Service{Key: key}, Dest: d})
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	h, err := k.handle()
	if err != nil {
		return err
	}
	return h.NewDestination(toMobyService(Service{Key: key}), toMobyDest(d))
}

// UpdateDestination implements Backend.
func (k *Kernel) UpdateDestination(key ServiceKey, d Destination) error {
	if hasTunnel(d) {
		return k.applyOne(Op{Kind: UpdateDestination, Service: Service{Key: key}, Dest: d})
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	h, err := k.handle()
	if err != nil {
		return err
	}
	return h.UpdateDestination(toMobyService(Service{Key: key}), toMobyDest(d))
}

// DeleteDestination implements Backend.
func (k *Kernel) DeleteDestination(key ServiceKey, a netip.AddrPort) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	h, err := k.handle()
	if err != nil {
		return err
	}
	return h.DelDestination(toMobyService(Service{Key: key}), toMobyDest(Destination{Addr: a}))
}

// Timeouts implements Backend.
func (k *Kernel) Timeouts() (Timeouts, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	h, err := k.handle()
	if err != nil {
		return Timeouts{}, err
	}
	c, err := h.GetConfig()
	if err != nil {
		return Timeouts{}, err
	}
	return Timeouts{TCP: c.TimeoutTCP, TCPFin: c.TimeoutTCPFin, UDP: c.TimeoutUDP}, nil
}

// SetTimeouts implements Backend; the kernel leaves a zero timeout unchanged.
func (k *Kernel) SetTimeouts(t Timeouts) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	h, err := k.handle()
	if err != nil {
		return err
	}
	return h.SetConfig(&ipvs.Config{TimeoutTCP: t.TCP, TimeoutTCPFin: t.TCPFin, TimeoutUDP: t.UDP})
}

func toMobyService(s Service) *ipvs.Service {
	ms := &ipvs.Service{
		AddressFamily: uint16(s.Key.Family),
		SchedName:     s.Scheduler,
		PEName:        s.PE,
		Netmask:       kernelNetmask(s.Key.Family, s.Granularity),
	}
	if s.Key.FWMark != 0 {
		ms.FWMark = s.Key.FWMark
	} else {
		ms.Address = net.IP(s.Key.Addr.Addr().AsSlice())
		ms.Protocol = uint16(s.Key.Protocol)
		ms.Port = s.Key.Addr.Port()
	}
	ms.Flags, ms.Timeout = kernelFlags(s)
	return ms
}

// kernelFlags are s's IP_VS_SVC_F_* flags and its persistence timeout in seconds, as
// IPVS_SVC_ATTR_FLAGS and IPVS_SVC_ATTR_TIMEOUT carry them.
func kernelFlags(s Service) (flags, timeout uint32) {
	if s.SchedFlags&SchedFlag1 != 0 {
		flags |= svcSched1
	}
	if s.SchedFlags&SchedFlag2 != 0 {
		flags |= svcSched2
	}
	if s.SchedFlags&SchedFlag3 != 0 {
		flags |= svcSched3
	}
	if s.OnePacket {
		flags |= svcOnePacket
	}
	if s.Persistence > 0 {
		flags |= svcPersistent
		timeout = uint32(s.Persistence / time.Second)
	}
	return flags, timeout
}

// kernelNetmask is the persistence netmask as IPVS_SVC_ATTR_NETMASK wants it: for IPv4 the
// mask in network byte order, for IPv6 the prefix length. moby/ipvs writes the field in
// host byte order, so the IPv4 mask is handed over already swapped.
func kernelNetmask(f Family, granularity int) uint32 {
	if granularity == 0 {
		granularity = f.bits()
	}
	if f == IPv6 {
		return uint32(granularity)
	}
	m := prefixMask4(granularity).As4()
	return binary.NativeEndian.Uint32(m[:])
}

func granularityOf(f Family, netmask uint32) int {
	if f == IPv6 {
		return int(netmask)
	}
	var b [4]byte
	binary.NativeEndian.PutUint32(b[:], netmask)
	return bits.LeadingZeros32(^binary.BigEndian.Uint32(b[:]))
}

func fromMobyService(ms *ipvs.Service) (Service, error) {
	f := Family(ms.AddressFamily)
	var key ServiceKey
	if ms.FWMark != 0 {
		key = FWMarkKey(ms.FWMark, f)
	} else {
		a, ok := netip.AddrFromSlice(ms.Address)
		if !ok {
			return Service{}, fmt.Errorf("lvs: service with an unreadable address %v", ms.Address)
		}
		key = NewServiceKey(Protocol(ms.Protocol), netip.AddrPortFrom(a.Unmap(), ms.Port))
	}
	s := Service{Key: key, Scheduler: ms.SchedName, OnePacket: ms.Flags&svcOnePacket != 0}
	if ms.Flags&svcSched1 != 0 {
		s.SchedFlags |= SchedFlag1
	}
	if ms.Flags&svcSched2 != 0 {
		s.SchedFlags |= SchedFlag2
	}
	if ms.Flags&svcSched3 != 0 {
		s.SchedFlags |= SchedFlag3
	}
	if ms.Flags&svcPersistent != 0 {
		s.Persistence = time.Duration(ms.Timeout) * time.Second
		s.Granularity = granularityOf(f, ms.Netmask)
	}
	return s.normalized(), nil
}

func toMobyDest(d Destination) *ipvs.Destination {
	return &ipvs.Destination{
		Address:         net.IP(d.Addr.Addr().AsSlice()),
		Port:            d.Addr.Port(),
		AddressFamily:   uint16(familyOf(d.Addr.Addr())),
		ConnectionFlags: uint32(d.Forward),
		Weight:          d.Weight,
		UpperThreshold:  d.Upper,
		LowerThreshold:  d.Lower,
	}
}

func fromMobyDest(md *ipvs.Destination) (Destination, error) {
	a, ok := netip.AddrFromSlice(md.Address)
	if !ok {
		return Destination{}, fmt.Errorf("lvs: destination with an unreadable address %v", md.Address)
	}
	return Destination{
		Addr:    netip.AddrPortFrom(a.Unmap(), md.Port),
		Forward: Forwarding(md.ConnectionFlags & ipvs.ConnFwdMask),
		Weight:  md.Weight,
		Upper:   md.UpperThreshold,
		Lower:   md.LowerThreshold,
	}, nil
}
