package vrrp

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sync"

	"github.com/mdlayher/ndp"
	"github.com/mdlayher/packet"
	"golang.org/x/net/bpf"
	"golang.org/x/net/ipv6"
	"golang.org/x/sys/unix"
)

// NetAnnouncer is the Announcer over an AF_PACKET socket (gratuitous ARP) and an ICMPv6 socket
// (unsolicited neighbour advertisements), one of each per interface, opened by Prepare or on
// first use and kept open. It is safe for concurrent use; announcements on one interface are
// serialised.
//
// Sockets are opened in the network namespace of the thread that first prepares or announces
// on an interface. Both only send: the ARP socket carries a drop-all BPF filter and the ICMPv6
// socket an ICMPv6 filter that blocks every type, so neither queues received traffic.
type NetAnnouncer struct {
	mu     sync.Mutex
	ifaces map[string]*announceIface
	closed bool
}

type announceIface struct {
	mu     sync.Mutex
	closed bool // set by Close: an Announce already holding this entry must not reopen
	ctl    int  // datagram socket for the interface ioctls; -1 until opened
	index  int  // the interface the sockets below are bound to
	arp    *packet.Conn
	ndp    *ndp.Conn
}

var (
	_ Announcer        = (*NetAnnouncer)(nil)
	_ AnnouncePreparer = (*NetAnnouncer)(nil)
)

// AnnouncePreparer is an Announcer that can get ready to announce an address ahead of time.
// The runner calls Prepare for each of an instance's VIPs when the instance starts, so that
// the first gratuitous ARP of a takeover does not wait for a socket to be opened. Prepare
// is idempotent; an Announcer without it opens on first use.
type AnnouncePreparer interface {
	Prepare(dev string, addr netip.Addr) error
}

// NewAnnouncer returns a NetAnnouncer with no sockets open yet. Announcing needs CAP_NET_RAW.
func NewAnnouncer() *NetAnnouncer {
	return &NetAnnouncer{ifaces: make(map[string]*announceIface)}
}

// ErrAnnouncerClosed is returned by Announce after Close.
var ErrAnnouncerClosed = errors.New("vrrp: announcer closed")

// Announce sends one announcement that this host owns addr on interface dev: for IPv4 a
// gratuitous ARP request and reply, broadcast, sender = target = addr, sender hardware
// address = dev's MAC; for IPv6 an unsolicited neighbour advertisement for addr, from addr,
// to ff02::1, hop limit 255, override flag and target link-layer address option. An IPv6
// addr must already be on dev (it is the source address).
func (a *NetAnnouncer) Announce(dev string, addr netip.Addr) error {
	addr = addr.WithZone("").Unmap()
	if err := a.announce(dev, addr, true); err != nil {
		return fmt.Errorf("vrrp: announce %s on %s: %w", addr, dev, err)
	}
	return nil
}

// Prepare opens the socket that announcing addr on dev needs (ARP for IPv4, ICMPv6 for
// IPv6) without sending anything.
func (a *NetAnnouncer) Prepare(dev string, addr netip.Addr) error {
	addr = addr.WithZone("").Unmap()
	if err := a.announce(dev, addr, false); err != nil {
		return fmt.Errorf("vrrp: prepare to announce %s on %s: %w", addr, dev, err)
	}
	return nil
}

// announce opens what announcing addr on dev needs and, if send, sends the announcement.
func (a *NetAnnouncer) announce(dev string, addr netip.Addr, send bool) error {
	if !addr.IsValid() || addr.IsMulticast() || addr.IsUnspecified() {
		return fmt.Errorf("not a unicast address")
	}
	st, err := a.iface(dev)
	if err != nil {
		return err
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.closed {
		return ErrAnnouncerClosed
	}
	// Looked up on every call: the interface may have been recreated (new index) or given a
	// new MAC since the last announcement.
	ifi, err := st.link(dev)
	if err != nil {
		return err
	}
	if st.index != ifi.Index {
		st.closeSocketsLocked()
		st.index = ifi.Index
	}
	reused := addr.Is4() && st.arp != nil || addr.Is6() && st.ndp != nil
	err = st.send(ifi, addr, send)
	if err != nil && reused && staleSocket(err) {
		// A socket that saw its link go down (or vanish) reports it on its next send, even
		// when the link is back: the announcement goes again on a fresh socket, so that the
		// first GARP of a burst after a link comes back is not lost.
		st.closeSocketsLocked()
		err = st.send(ifi, addr, send)
	}
	if err != nil {
		// Reopen next time rather than trust a socket that failed.
		st.closeSocketsLocked()
	}
	return err
}

func (st *announceIface) send(ifi *net.Interface, addr netip.Addr, send bool) error {
	if addr.Is4() {
		return st.sendGARP(ifi, addr, send)
	}
	return st.sendNA(ifi, addr, send)
}

// staleSocket reports whether a send failed because of what happened to the link since the
// socket was opened: down (ENETDOWN), or gone and perhaps recreated with a new index (ENXIO,
// ENODEV).
func staleSocket(err error) bool {
	return errors.Is(err, unix.ENETDOWN) || errors.Is(err, unix.ENXIO) || errors.Is(err, unix.ENODEV)
}

func (a *NetAnnouncer) iface(dev string) (*announceIface, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.closed {
		return nil, ErrAnnouncerClosed
	}
	st := a.ifaces[dev]
	if st == nil {
		st = &announceIface{ctl: -1}
		a.ifaces[dev] = st
	}
	return st, nil
}

// dropAll is the classic BPF program "ret #0": accept no bytes of any packet.
var dropAll = func() []bpf.RawInstruction {
	raw, err := bpf.Assemble([]bpf.Instruction{bpf.RetConstant{Val: 0}})
	if err != nil {
		panic(err)
	}
	return raw
}()

func (st *announceIface) sendGARP(ifi *net.Interface, addr netip.Addr, send bool) error {
	if st.arp == nil {
		// A datagram socket: the kernel writes the Ethernet header (destination from the
		// address below, source the interface's MAC, type ARP) with no padding, so the
		// request is byte for byte keepalived's 42-byte frame.
		c, err := packet.Listen(ifi, packet.Datagram, unix.ETH_P_ARP, &packet.Config{Filter: dropAll})
		if err != nil {
			return err
		}
		st.arp = c
	}
	if !send {
		return nil
	}
	request, reply, err := garpPackets(ifi.HardwareAddr, addr)
	if err != nil {
		return err
	}
	for _, b := range [][]byte{request, reply} {
		if _, err := st.arp.WriteTo(b, broadcastAddr); err != nil {
			return err
		}
	}
	return nil
}

var broadcastAddr = &packet.Addr{HardwareAddr: net.HardwareAddr{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}}

func (st *announceIface) sendNA(ifi *net.Interface, addr netip.Addr, send bool) error {
	if st.ndp == nil {
		c, _, err := ndp.Listen(ifi, ndp.Unspecified)
		if err != nil {
			return err
		}
		var block ipv6.ICMPFilter
		block.SetAll(true)
		if err := c.SetICMPFilter(&block); err != nil {
			c.Close()
			return err
		}
		st.ndp = c
	}
	if !send {
		return nil
	}
	na, err := unsolicitedNA(ifi.HardwareAddr, addr)
	if err != nil {
		return err
	}
	cm := &ipv6.ControlMessage{HopLimit: ndp.HopLimit, Src: addr.AsSlice(), IfIndex: ifi.Index}
	return st.ndp.WriteTo(na, cm, netip.IPv6LinkLocalAllNodes())
}

// closeSocketsLocked closes the announcing sockets (not the ioctl socket).
func (st *announceIface) closeSocketsLocked() {
	if st.arp != nil {
		st.arp.Close()
		st.arp = nil
	}
	if st.ndp != nil {
		st.ndp.Close()
		st.ndp = nil
	}
}

// Close closes every socket; later Announce calls fail with ErrAnnouncerClosed.
func (a *NetAnnouncer) Close() error {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.closed = true
	for dev, st := range a.ifaces {
		st.mu.Lock()
		st.closeSocketsLocked()
		if st.ctl >= 0 {
			unix.Close(st.ctl)
			st.ctl = -1
		}
		st.closed = true
		st.mu.Unlock()
		delete(a.ifaces, dev)
	}
	return nil
}
