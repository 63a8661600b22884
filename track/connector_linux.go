package track

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"time"

	"golang.org/x/sys/unix"
)

// The kernel's process events connector (linux/cn_proc.h, linux/connector.h).
const (
	cnIdxProc         = 1
	cnValProc         = 1
	procCnMcastListen = 1

	procEventNone = 0x00000000
	procEventFork = 0x00000001
	procEventExec = 0x00000002
	procEventComm = 0x00000200
	procEventExit = 0x80000000

	nlmsgHdrLen = 16
	cnMsgLen    = 20
	procEvHdr   = 16 // what, cpu, timestamp_ns
)

// ErrNoProcEvents means the process events connector cannot be used here: the kernel lacks
// CONFIG_PROC_EVENTS, or halvs runs outside the initial network namespace (the connector
// exists only there) or without CAP_NET_ADMIN.
var ErrNoProcEvents = errors.New("track: process events connector unavailable")

// Connector is the kernel's process events connector (CN_IDX_PROC), subscribed to.
type Connector struct {
	f       *os.File
	buf     []byte
	pending []Event
}

// OpenConnector subscribes to process events and waits (at most ackWait) for the kernel to
// acknowledge, as keepalived does, since a kernel without proc events accepts the
// subscription silently. Errors wrap ErrNoProcEvents.
func OpenConnector(ackWait time.Duration) (*Connector, error) {
	fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC|unix.SOCK_NONBLOCK, unix.NETLINK_CONNECTOR)
	if err != nil {
		return nil, fmt.Errorf("%w: socket: %w", ErrNoProcEvents, err)
	}
	if err := unix.Bind(fd, &unix.SockaddrNetlink{Family: unix.AF_NETLINK, Groups: cnIdxProc}); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("%w: bind: %w", ErrNoProcEvents, err)
	}
	// Bursts of forks must not overflow the socket; FORCE passes rmem_max as root.
	if unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUFFORCE, 4<<20) != nil {
		_ = unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUF, 4<<20)
	}
	c := &Connector{f: os.NewFile(uintptr(fd), "proc-connector"), buf: make([]byte, 64<<10)}
	if err := c.listen(); err != nil {
		c.Close()
		return nil, fmt.Errorf("%w: subscribe: %w", ErrNoProcEvents, err)
	}
	if err := c.awaitAck(ackWait); err != nil {
		c.Close()
		return nil, fmt.Errorf("%w: %w", ErrNoProcEvents, err)
	}
	return c, nil
}

func (c *Connector) listen() error {
	msg := make([]byte, nlmsgHdrLen+cnMsgLen+4)
	ne := binary.NativeEndian
	ne.PutUint32(msg[0:], uint32(len(msg)))
	ne.PutUint16(msg[4:], unix.NLMSG_DONE)
	ne.PutUint32(msg[nlmsgHdrLen+0:], cnIdxProc)
	ne.PutUint32(msg[nlmsgHdrLen+4:], cnValProc)
	ne.PutUint16(msg[nlmsgHdrLen+16:], 4)
	ne.PutUint32(msg[nlmsgHdrLen+cnMsgLen:], procCnMcastListen)
	raw, err := c.f.SyscallConn()
	if err != nil {
		return err
	}
	var serr error
	err = raw.Write(func(fd uintptr) bool {
		serr = unix.Sendto(int(fd), msg, 0, &unix.SockaddrNetlink{Family: unix.AF_NETLINK})
		return serr != unix.EAGAIN
	})
	if err != nil {
		return err
	}
	return serr
}

// awaitAck reads until the kernel's PROC_EVENT_NONE answer to the subscription; events
// read meanwhile are kept for Next.
func (c *Connector) awaitAck(wait time.Duration) error {
	if err := c.f.SetReadDeadline(time.Now().Add(wait)); err != nil {
		return err
	}
	defer c.f.SetReadDeadline(time.Time{})
	for {
		evs, ack, err := c.read()
		if errors.Is(err, os.ErrDeadlineExceeded) {
			return fmt.Errorf("no answer to the subscription within %v (is CONFIG_PROC_EVENTS set?)", wait)
		}
		if err != nil && !errors.Is(err, ErrEventsLost) {
			return err
		}
		c.pending = append(c.pending, evs...)
		if ack {
			return nil
		}
	}
}

// Next implements EventSource.
func (c *Connector) Next() (Event, error) {
	for len(c.pending) == 0 {
		evs, _, err := c.read()
		if err != nil {
			return Event{}, err
		}
		c.pending = evs
	}
	ev := c.pending[0]
	c.pending = c.pending[1:]
	return ev, nil
}

// Close implements EventSource: a blocked Next returns.
func (c *Connector) Close() error { return c.f.Close() }

// read reads one datagram and decodes the process events in it; ack reports a
// PROC_EVENT_NONE (the kernel's answer to a subscription).
func (c *Connector) read() (evs []Event, ack bool, err error) {
	raw, err := c.f.SyscallConn()
	if err != nil {
		return nil, false, err
	}
	var n int
	var rerr error
	err = raw.Read(func(fd uintptr) bool {
		n, _, rerr = unix.Recvfrom(int(fd), c.buf, 0)
		return rerr != unix.EAGAIN
	})
	if err != nil {
		return nil, false, err
	}
	if rerr == unix.ENOBUFS {
		return nil, false, ErrEventsLost
	}
	if rerr != nil {
		return nil, false, rerr
	}
	evs, ack = decodeEvents(c.buf[:n])
	return evs, ack, nil
}

// decodeEvents decodes netlink messages carrying cn_msg + proc_event. Thread events
// (pid ≠ tgid) are left out: only processes count.
func decodeEvents(b []byte) (evs []Event, ack bool) {
	ne := binary.NativeEndian
	for len(b) >= nlmsgHdrLen {
		l := int(ne.Uint32(b[0:]))
		if l < nlmsgHdrLen || l > len(b) {
			break
		}
		msg := b[nlmsgHdrLen:l]
		b = b[min((l+3)&^3, len(b)):]
		if len(msg) < cnMsgLen+procEvHdr || ne.Uint32(msg[0:]) != cnIdxProc || ne.Uint32(msg[4:]) != cnValProc {
			continue
		}
		ev := msg[cnMsgLen:]
		data := ev[procEvHdr:]
		u32 := func(i int) int {
			if len(data) < 4*(i+1) {
				return -1
			}
			return int(ne.Uint32(data[4*i:]))
		}
		switch ne.Uint32(ev[0:]) {
		case procEventNone:
			ack = true
		case procEventFork: // parent_pid, parent_tgid, child_pid, child_tgid
			if u32(2) == u32(3) && u32(3) > 0 {
				evs = append(evs, Event{Kind: EventFork, PID: u32(3), ParentPID: u32(1)})
			}
		case procEventExec: // process_pid, process_tgid
			if u32(0) == u32(1) && u32(1) > 0 {
				evs = append(evs, Event{Kind: EventExec, PID: u32(1)})
			}
		case procEventComm: // process_pid, process_tgid, comm[16]
			if u32(0) == u32(1) && u32(1) > 0 && len(data) >= 8+16 {
				comm := data[8 : 8+16]
				evs = append(evs, Event{Kind: EventComm, PID: u32(1), Comm: string(comm[:clen(comm)])})
			}
		case procEventExit: // process_pid, process_tgid, ...
			if u32(0) == u32(1) && u32(1) > 0 {
				evs = append(evs, Event{Kind: EventExit, PID: u32(1)})
			}
		}
	}
	return evs, ack
}
