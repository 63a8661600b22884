package vrrp

import (
	"net/netip"
	"sync"
	"unsafe"

	"golang.org/x/net/ipv4"
	"golang.org/x/net/ipv6"
	"golang.org/x/sys/unix"
)

// rawSend is RawTransport.Send's sendmsg(2), with its message header, destination and
// control message kept for the Transport's life, so that an advert allocates nothing
// (garbage collection delays the advert path; x/net's WriteTo allocates the control
// message, the address and the header on every call).
type rawSend struct {
	mu    sync.Mutex
	oob   []byte // fixed: the source address, interface (and IPv6 hop limit and class)
	sa4   unix.RawSockaddrInet4
	sa6   unix.RawSockaddrInet6
	iov   unix.Iovec
	hdr   unix.Msghdr
	err   error
	write func(fd uintptr) bool // sendmsg, made once: RawConn.Write's argument
}

// sendmsg sends msg to dst on t's socket.
func (t *RawTransport) sendmsg(dst netip.Addr, msg []byte) error {
	s := &t.send
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.write == nil {
		s.init(t)
	}
	if dst.Is4() {
		s.sa4 = unix.RawSockaddrInet4{Family: unix.AF_INET, Addr: dst.As4()}
		s.hdr.Name, s.hdr.Namelen = (*byte)(unsafe.Pointer(&s.sa4)), unix.SizeofSockaddrInet4
	} else {
		s.sa6 = unix.RawSockaddrInet6{Family: unix.AF_INET6, Addr: dst.As16()}
		if dst.IsLinkLocalUnicast() || dst.IsLinkLocalMulticast() {
			s.sa6.Scope_id = uint32(t.ifi.Index)
		}
		s.hdr.Name, s.hdr.Namelen = (*byte)(unsafe.Pointer(&s.sa6)), unix.SizeofSockaddrInet6
	}
	s.iov.Base = unsafe.SliceData(msg)
	s.iov.SetLen(len(msg))
	s.hdr.Iov = &s.iov
	s.hdr.SetIovlen(1)
	s.hdr.Control = unsafe.SliceData(s.oob)
	s.hdr.SetControllen(len(s.oob))
	s.err = nil
	err := t.rc.Write(s.write)
	s.iov.Base, s.hdr.Iov = nil, nil // msg is the caller's again
	if err != nil {
		return err
	}
	return s.err
}

// init builds the control message WriteTo built, once.
func (s *rawSend) init(t *RawTransport) {
	if t.family == FamilyIPv4 {
		s.oob = (&ipv4.ControlMessage{Src: t.local.AsSlice(), IfIndex: t.ifi.Index}).Marshal()
	} else {
		s.oob = (&ipv6.ControlMessage{Src: t.local.AsSlice(), IfIndex: t.ifi.Index, HopLimit: t.ttl,
			TrafficClass: tosNetworkControl}).Marshal()
	}
	s.write = func(fd uintptr) bool {
		_, _, e := unix.Syscall(unix.SYS_SENDMSG, fd, uintptr(unsafe.Pointer(&s.hdr)), 0)
		if e == unix.EAGAIN {
			return false // RawConn.Write waits until the socket is writable
		}
		if e != 0 {
			s.err = e
		}
		return true
	}
}
