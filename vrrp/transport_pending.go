package vrrp

import "golang.org/x/sys/unix"

// pendingReporter is a Transport that can tell whether messages wait in it unread: adverts
// the kernel has received that the receive goroutine has not yet read. An instance about to
// act on its Master_Down timer asks (instance_downdefer.go), since a starved receive
// goroutine can leave the master's adverts in the socket past the timer's deadline.
type pendingReporter interface {
	Pending() bool
}

// transportPending reports whether t says messages wait unread; false for a Transport that
// cannot tell.
func transportPending(t Transport) bool {
	p, ok := t.(pendingReporter)
	return ok && p.Pending()
}

// Pending reports whether a datagram waits unread in the socket: SIOCINQ (FIONREAD), which
// for a raw socket is the length of the next queued datagram, zero when none is. False when
// the kernel cannot tell (a closed socket). The socket is shared by every instance on the
// interface, so the datagram may be another VRID's.
func (t *RawTransport) Pending() bool {
	var n int
	var err error
	if cerr := t.rc.Control(func(fd uintptr) { n, err = unix.IoctlGetInt(int(fd), unix.SIOCINQ) }); cerr != nil {
		return false
	}
	return err == nil && n > 0
}
