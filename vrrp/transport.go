package vrrp

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"sync"
	"syscall"

	"golang.org/x/net/ipv4"
	"golang.org/x/net/ipv6"
	"golang.org/x/sys/unix"
)

// AddrFamily selects the IP version of a Transport.
type AddrFamily uint8

// The address families a Transport speaks.
const (
	FamilyIPv4 AddrFamily = 4
	FamilyIPv6 AddrFamily = 6
)

func (f AddrFamily) String() string {
	switch f {
	case FamilyIPv4:
		return "IPv4"
	case FamilyIPv6:
		return "IPv6"
	}
	return "AddrFamily(" + strconv.Itoa(int(f)) + ")"
}

// TransportOptions configure DialTransport. The zero value is keepalived's default: multicast,
// with the interface's own source address.
type TransportOptions struct {
	// Unicast selects keepalived's unicast_peer mode: no multicast group is joined and only
	// packets addressed to the source address are received. Which peers are valid is the
	// receive checks' business (they count unlisted sources), so the Transport does not filter
	// on source.
	Unicast bool
	// Src is the source address of sent adverts: unicast_src_ip (or mcast_src_ip). The zero
	// value means the interface's primary IPv4 address, or its IPv6 link-local address, looked
	// up once at dial time. In unicast mode the socket also binds to it, with IP_FREEBIND so the
	// address need not exist yet (keepalived does the same).
	Src netip.Addr
	// TTL is the TTL / hop limit of unicast adverts (keepalived's unicast_ttl); zero means
	// 255. Multicast adverts always leave with 255, the only value RFC 5798 lets a receiver
	// accept.
	TTL uint8
	// Group is the multicast group joined and bound (vrrp_mcast_group4 / 6); zero means
	// MulticastIPv4 / MulticastIPv6.
	Group netip.Addr
}

// ErrNoSourceAddress means the interface has no address a Transport could send from: no
// primary IPv4 address, or no IPv6 link-local address that has finished duplicate address
// detection. Retrying later may succeed.
var ErrNoSourceAddress = errors.New("vrrp: interface has no usable source address")

// tosNetworkControl is IPTOS_PREC_INTERNETCONTROL (DSCP CS6), keepalived's TOS and IPv6
// traffic class for adverts; Linux also maps it to the TC_PRIO_CONTROL socket priority.
const tosNetworkControl = 0xc0

// RawTransport is the Transport over a raw IP socket for protocol 112 bound to one interface.
// It is safe for concurrent use, except that Receive must not be called concurrently with
// itself.
type RawTransport struct {
	ifi    *net.Interface
	family AddrFamily
	local  netip.Addr
	ttl    int // of sent adverts
	conn   net.PacketConn
	p4     *ipv4.PacketConn
	p6     *ipv6.PacketConn
	rc     syscall.RawConn // the socket, for Receive's recvmsg and Send's sendmsg
	send   rawSend
	buf    []byte // Receive's buffers; Receive is not concurrent with itself
	oob    []byte

	closeOnce sync.Once
	closeErr  error
}

var _ Transport = (*RawTransport)(nil)

// DialTransport opens a raw VRRP socket on interface ifname for family, as keepalived's
// open_vrrp_read_socket and open_vrrp_send_socket do together:
//   - SO_BINDTODEVICE, so that instances on several interfaces never see each other's adverts;
//   - multicast mode: bound to and joined to 224.0.0.18 / ff02::12 on that interface only
//     (IP_MULTICAST_ALL off, so groups that other sockets joined are not delivered here),
//     multicast loopback off, outgoing multicast interface set;
//   - unicast mode: bound to the source address, no group;
//   - TTL / hop limit 255 for multicast, opts.TTL (255 by default) for unicast, TOS /
//     traffic class 0xc0, and for IPv4 no DF bit, matching keepalived's header;
//   - the received TTL / hop limit, destination, interface and kernel receive time reported
//     per packet.
//
// The kernel strips nothing from sent messages and computes no VRRP checksum: msg given to
// Send must be complete (the codec computes the checksum, so that the receive checks can
// count bad ones instead of the kernel dropping them silently). DialTransport needs
// CAP_NET_RAW and opens the socket in the calling thread's network namespace.
//
// Without opts.Src the source address is the interface's, read once, here. An interface
// re-addressed later keeps sending adverts from the old address (which the peers also use
// to break priority ties, and which the unicast peers may filter on) until the Transport
// is opened again: a Router keeps it while any instance uses it (also across a reload
// that restarts them all), so that means a restart of halvs. Set unicast_src_ip (opts.Src)
// where the address may change underneath.
func DialTransport(ifname string, family AddrFamily, opts TransportOptions) (*RawTransport, error) {
	t, err := dialTransport(ifname, family, opts)
	if err != nil {
		return nil, fmt.Errorf("vrrp: dial %s transport on %s: %w", family, ifname, err)
	}
	return t, nil
}

// OpenTransport dials the Transport a Router's TransportKey describes; it fits
// Deps.OpenTransport.
func OpenTransport(k TransportKey) (Transport, error) {
	f := FamilyIPv4
	if k.IPv6 {
		f = FamilyIPv6
	}
	t, err := DialTransport(k.Dev, f, TransportOptions{Unicast: k.Unicast, Src: k.Src, TTL: k.TTL, Group: k.Group})
	if err != nil {
		return nil, err // not a typed nil inside the interface
	}
	return t, nil
}

func dialTransport(ifname string, family AddrFamily, opts TransportOptions) (*RawTransport, error) {
	if family != FamilyIPv4 && family != FamilyIPv6 {
		return nil, fmt.Errorf("unknown address family %d", family)
	}
	src := opts.Src.WithZone("")
	if src.IsValid() {
		src = src.Unmap()
		if src.Is4() != (family == FamilyIPv4) || src.IsMulticast() || src.IsUnspecified() {
			return nil, fmt.Errorf("source address %s is not a unicast %s address", src, family)
		}
	}
	ifi, err := net.InterfaceByName(ifname)
	if err != nil {
		return nil, err
	}
	if !src.IsValid() {
		if src, err = interfaceSource(ifi, family); err != nil {
			return nil, err
		}
	}

	t := &RawTransport{ifi: ifi, family: family, local: src, ttl: TTL, buf: make([]byte, 1<<16), oob: make([]byte, oobSize)}
	if opts.Unicast && opts.TTL != 0 {
		t.ttl = int(opts.TTL)
	}
	group, err := transportGroup(family, opts.Group) // instance_timing.go
	if err != nil {
		return nil, err
	}
	network, bind := "ip4:"+strconv.Itoa(Protocol), group.String()
	if family == FamilyIPv6 {
		network, bind = "ip6:"+strconv.Itoa(Protocol), group.WithZone(ifname).String()
	}
	if opts.Unicast {
		bind = src.String()
		if src.Is6() && src.IsLinkLocalUnicast() {
			bind = src.WithZone(ifname).String()
		}
	}
	lc := net.ListenConfig{Control: func(_, _ string, c syscall.RawConn) error {
		return preBindOptions(c, ifname, family, opts.Unicast)
	}}
	t.conn, err = lc.ListenPacket(context.Background(), network, bind)
	if err != nil {
		return nil, err
	}
	if t.rc, err = t.conn.(syscall.Conn).SyscallConn(); err != nil {
		t.conn.Close()
		return nil, err
	}
	if family == FamilyIPv4 {
		err = t.setup4(opts.Unicast, group)
	} else {
		err = t.setup6(opts.Unicast, group)
	}
	if err != nil {
		t.conn.Close()
		return nil, err
	}
	return t, nil
}

// preBindOptions runs on the new socket before bind(2): the device binding and, for unicast,
// IP_FREEBIND must be in place before the bind they affect.
func preBindOptions(c syscall.RawConn, ifname string, family AddrFamily, unicast bool) error {
	var err error
	cerr := c.Control(func(fd uintptr) {
		s := int(fd)
		if err = unix.SetsockoptString(s, unix.SOL_SOCKET, unix.SO_BINDTODEVICE, ifname); err != nil {
			err = fmt.Errorf("SO_BINDTODEVICE: %w", err)
			return
		}
		// The kernel's receive time of each packet, as a control message (see Receive).
		if err = unix.SetsockoptInt(s, unix.SOL_SOCKET, unix.SO_TIMESTAMPNS, 1); err != nil {
			err = fmt.Errorf("SO_TIMESTAMPNS: %w", err)
			return
		}
		if family == FamilyIPv4 {
			// Only groups joined on this socket, not every group any socket joined.
			if err = unix.SetsockoptInt(s, unix.IPPROTO_IP, unix.IP_MULTICAST_ALL, 0); err != nil {
				err = fmt.Errorf("IP_MULTICAST_ALL: %w", err)
				return
			}
			// keepalived sends with DF clear; adverts are far below any MTU.
			if err = unix.SetsockoptInt(s, unix.IPPROTO_IP, unix.IP_MTU_DISCOVER, unix.IP_PMTUDISC_DONT); err != nil {
				err = fmt.Errorf("IP_MTU_DISCOVER: %w", err)
				return
			}
			if unicast {
				if err = unix.SetsockoptInt(s, unix.IPPROTO_IP, unix.IP_FREEBIND, 1); err != nil {
					err = fmt.Errorf("IP_FREEBIND: %w", err)
				}
			}
			return
		}
		// IPV6_MULTICAST_ALL exists since Linux 4.20; older kernels lack it, as keepalived
		// tolerates.
		if e := unix.SetsockoptInt(s, unix.IPPROTO_IPV6, unix.IPV6_MULTICAST_ALL, 0); e != nil && !errors.Is(e, unix.ENOPROTOOPT) {
			err = fmt.Errorf("IPV6_MULTICAST_ALL: %w", e)
			return
		}
		if unicast {
			if err = unix.SetsockoptInt(s, unix.IPPROTO_IPV6, unix.IPV6_FREEBIND, 1); err != nil {
				err = fmt.Errorf("IPV6_FREEBIND: %w", err)
			}
		}
	})
	if cerr != nil {
		return cerr
	}
	return err
}

func (t *RawTransport) setup4(unicast bool, group netip.Addr) error {
	p := ipv4.NewPacketConn(t.conn)
	t.p4 = p
	steps := []struct {
		name string
		fn   func() error
	}{
		{"TTL", func() error { return p.SetTTL(t.ttl) }},
		{"multicast TTL", func() error { return p.SetMulticastTTL(TTL) }},
		{"TOS", func() error { return p.SetTOS(tosNetworkControl) }},
		{"multicast loopback", func() error { return p.SetMulticastLoopback(false) }},
		{"multicast interface", func() error { return p.SetMulticastInterface(t.ifi) }},
		{"control messages", func() error {
			return p.SetControlMessage(ipv4.FlagTTL|ipv4.FlagDst|ipv4.FlagInterface, true)
		}},
	}
	if !unicast {
		steps = append(steps, struct {
			name string
			fn   func() error
		}{"join " + group.String(), func() error {
			return p.JoinGroup(t.ifi, &net.IPAddr{IP: group.AsSlice()})
		}})
	}
	for _, s := range steps {
		if err := s.fn(); err != nil {
			return fmt.Errorf("set %s: %w", s.name, err)
		}
	}
	return nil
}

func (t *RawTransport) setup6(unicast bool, group netip.Addr) error {
	p := ipv6.NewPacketConn(t.conn)
	t.p6 = p
	steps := []struct {
		name string
		fn   func() error
	}{
		{"hop limit", func() error { return p.SetHopLimit(t.ttl) }},
		{"multicast hop limit", func() error { return p.SetMulticastHopLimit(TTL) }},
		{"multicast loopback", func() error { return p.SetMulticastLoopback(false) }},
		{"multicast interface", func() error { return p.SetMulticastInterface(t.ifi) }},
		{"control messages", func() error {
			return p.SetControlMessage(ipv6.FlagHopLimit|ipv6.FlagDst|ipv6.FlagInterface, true)
		}},
	}
	if !unicast {
		steps = append(steps, struct {
			name string
			fn   func() error
		}{"join " + group.String(), func() error {
			return p.JoinGroup(t.ifi, &net.IPAddr{IP: group.AsSlice(), Zone: t.ifi.Name})
		}})
	}
	for _, s := range steps {
		if err := s.fn(); err != nil {
			return fmt.Errorf("set %s: %w", s.name, err)
		}
	}
	// ipv6.PacketConn has no traffic-class setter for sent packets; IPV6_TCLASS is the
	// socket option keepalived sets.
	var serr error
	if err := t.rc.Control(func(fd uintptr) {
		serr = unix.SetsockoptInt(int(fd), unix.IPPROTO_IPV6, unix.IPV6_TCLASS, tosNetworkControl)
	}); err != nil {
		return err
	}
	if serr != nil {
		return fmt.Errorf("set IPV6_TCLASS: %w", serr)
	}
	return nil
}

// Send writes msg to dst (the multicast group or a unicast peer) from LocalAddr out of the
// Transport's interface, with TTL / hop limit 255 (or the unicast TTL of TransportOptions).
func (t *RawTransport) Send(dst netip.Addr, msg []byte) error {
	dst = dst.Unmap()
	if !dst.IsValid() || dst.Is4() != (t.family == FamilyIPv4) {
		return fmt.Errorf("vrrp: send on %s: destination %v is not an %s address", t.ifi.Name, dst, t.family)
	}
	if err := t.sendmsg(dst, msg); err != nil { // transport_send.go
		if errors.Is(err, net.ErrClosed) {
			return net.ErrClosed
		}
		return fmt.Errorf("vrrp: send to %s on %s: %w", dst, t.ifi.Name, err)
	}
	return nil
}

// LocalAddr is the source address of sent adverts (without zone), fixed when the
// Transport was dialled (see DialTransport).
func (t *RawTransport) LocalAddr() netip.Addr { return t.local }

// Interface is the interface the Transport is bound to, as it was at dial time.
func (t *RawTransport) Interface() *net.Interface { return t.ifi }

// Close closes the socket, which also leaves the multicast group; a blocked Receive returns
// net.ErrClosed. Closing twice is harmless.
func (t *RawTransport) Close() error {
	t.closeOnce.Do(func() { t.closeErr = t.conn.Close() })
	return t.closeErr
}
