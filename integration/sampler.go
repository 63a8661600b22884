//go:build integration

package integration

import (
	"fmt"
	"net"
	"net/netip"
	"slices"
	"sync"
	"time"

	"github.com/vishvananda/netlink"
)

// Sample is the client's neighbour entry for one address at one moment: the MAC it names
// (nil when the entry is missing, incomplete or failed) and its state as ip neigh prints it.
type Sample struct {
	Time  time.Time
	Addr  netip.Addr
	MAC   net.HardwareAddr
	State string
}

func (s Sample) String() string {
	return fmt.Sprintf("%s %s %v (%s)", s.Time.Format("15:04:05.000"), s.Addr, s.MAC, s.State)
}

// Sampler reads the client's neighbour entries for a set of IPv4 addresses every period and
// keeps them in use: it sends each address a datagram every touchEvery, so that an entry
// whose reachability has expired is probed again (and fails when nobody answers) instead of
// staying stale. It is what a client of the VIPs sees of their owner.
type Sampler struct {
	lab  *Lab
	conn *net.UDPConn // opened in the client's namespace

	mu      sync.Mutex
	addrs   []netip.Addr
	samples []Sample
	err     error

	stop, done chan struct{}
}

// SampleNeighbours starts a Sampler on the client for addrs. Close stops it; the test's
// cleanup does too.
func (l *Lab) SampleNeighbours(period, touchEvery time.Duration, addrs ...netip.Addr) (*Sampler, error) {
	s := &Sampler{lab: l, addrs: slices.Clone(addrs), stop: make(chan struct{}), done: make(chan struct{})}
	err := l.Client.NS.Do(func() error {
		var err error
		s.conn, err = net.ListenUDP("udp4", nil)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("sampler: socket in %s: %w", l.Client.NS.Name, err)
	}
	link, err := l.Client.NS.Handle.LinkByName(l.Client.If)
	if err != nil {
		s.conn.Close()
		return nil, fmt.Errorf("sampler: %w", err)
	}
	go s.run(link.Attrs().Index, period, touchEvery)
	l.t.Cleanup(func() { s.Close() })
	return s, nil
}

// SetAddrs replaces the addresses sampled from now on.
func (s *Sampler) SetAddrs(addrs ...netip.Addr) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.addrs = slices.Clone(addrs)
}

func (s *Sampler) run(index int, period, touchEvery time.Duration) {
	defer close(s.done)
	tick := time.NewTicker(period)
	defer tick.Stop()
	var touched time.Time
	for {
		select {
		case <-s.stop:
			return
		case <-tick.C:
		}
		s.mu.Lock()
		addrs := slices.Clone(s.addrs)
		s.mu.Unlock()
		if time.Since(touched) >= touchEvery {
			touched = time.Now()
			for _, a := range addrs {
				// Discard port; the answer (ICMP port unreachable) does not matter, only
				// that the client resolves the address to send it.
				_, _ = s.conn.WriteToUDPAddrPort([]byte("halvs"), netip.AddrPortFrom(a, 9))
			}
		}
		list, err := s.lab.Client.NS.Handle.NeighList(index, netlink.FAMILY_V4)
		now := time.Now()
		s.mu.Lock()
		if err != nil {
			s.err = fmt.Errorf("sampler: neighbours: %w", err)
			s.mu.Unlock()
			return
		}
		for _, a := range addrs {
			smp := Sample{Time: now, Addr: a, State: "none"}
			for _, nb := range list {
				if ip, ok := netip.AddrFromSlice(nb.IP); ok && ip.Unmap() == a {
					smp.State = neighState(nb.State)
					if len(nb.HardwareAddr) == 6 {
						smp.MAC = nb.HardwareAddr
					}
				}
			}
			s.samples = append(s.samples, smp)
		}
		s.mu.Unlock()
	}
}

// Close stops the sampler; the samples taken stay readable. It returns the error that
// stopped it early, if any.
func (s *Sampler) Close() error {
	select {
	case <-s.stop:
	default:
		close(s.stop)
	}
	<-s.done
	s.conn.Close()
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}

// Mark returns the number of samples taken so far: pass it to Since.
func (s *Sampler) Mark() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.samples)
}

// Since returns the samples from index mark on, and the error that stopped the sampler.
func (s *Sampler) Since(mark int) ([]Sample, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if mark > len(s.samples) {
		return nil, s.err
	}
	return slices.Clone(s.samples[mark:]), s.err
}

// Latest returns the last sample of addr, if any.
func (s *Sampler) Latest(addr netip.Addr) (Sample, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := len(s.samples) - 1; i >= 0; i-- {
		if s.samples[i].Addr == addr {
			return s.samples[i], true
		}
	}
	return Sample{}, false
}
