//go:build vmtest

package vm

import (
	"encoding/binary"
	"fmt"
	"net"
	"net/netip"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/net/bpf"
	"golang.org/x/sys/unix"
)

// clientCapture records, on the client's eth0, the ARP packets and the TCP segments that
// open or reset a connection (SYN, RST), with their link-layer addresses. When a request
// fails over a VIP move it says who reset it, and to which MAC the client sent its SYN.
type clientCapture struct {
	fd   int
	stop chan struct{}
	done chan struct{}

	mu   sync.Mutex
	seen []frameSeen
}

// frameSeen is one captured frame: an ARP or a TCP SYN/RST.
type frameSeen struct {
	at       time.Time
	out      bool
	src, dst net.HardwareAddr
	arp      bool
	op       uint16 // ARP: 1 request, 2 reply
	from, to netip.AddrPort
	flags    uint8 // TCP flags
}

func (f frameSeen) String() string {
	dir := "in "
	if f.out {
		dir = "out"
	}
	if f.arp {
		return fmt.Sprintf("%s %s ARP op %d %s→%s %s is-at %s", f.at.Format("05.000000"), dir, f.op, f.src, f.dst, f.from.Addr(), f.src)
	}
	var fl []string
	for bit, name := range map[uint8]string{0x02: "SYN", 0x04: "RST", 0x10: "ACK"} {
		if f.flags&bit != 0 {
			fl = append(fl, name)
		}
	}
	return fmt.Sprintf("%s %s TCP %s %s→%s %s→%s", f.at.Format("05.000000"), dir, strings.Join(fl, "|"), f.src, f.dst, f.from, f.to)
}

// arpOrSynRst accepts ARP and the TCP segments with SYN or RST set, on an AF_PACKET
// SOCK_RAW socket (offset 0 is the Ethernet header).
var arpOrSynRst = []bpf.Instruction{
	bpf.LoadAbsolute{Off: 12, Size: 2},
	bpf.JumpIf{Cond: bpf.JumpEqual, Val: unix.ETH_P_ARP, SkipTrue: 7},
	bpf.JumpIf{Cond: bpf.JumpEqual, Val: unix.ETH_P_IP, SkipFalse: 7},
	bpf.LoadAbsolute{Off: 23, Size: 1},
	bpf.JumpIf{Cond: bpf.JumpEqual, Val: unix.IPPROTO_TCP, SkipFalse: 5},
	bpf.LoadMemShift{Off: 14},
	bpf.LoadIndirect{Off: 14 + 13, Size: 1},
	bpf.JumpIf{Cond: bpf.JumpBitsSet, Val: 0x06, SkipFalse: 2},
	bpf.RetConstant{Val: 128},
	bpf.RetConstant{Val: 128},
	bpf.RetConstant{Val: 0},
}

// captureClient starts capturing on the client's eth0 until the test ends.
func captureClient(t *testing.T) *clientCapture {
	t.Helper()
	c := &clientCapture{stop: make(chan struct{}), done: make(chan struct{})}
	err := inNamespace(client.ns, func() error {
		fd, err := openPacketSocket("eth0", unix.SOCK_RAW, arpOrSynRst)
		c.fd = fd
		return err
	})
	if err != nil {
		t.Fatalf("capturing on the client: %v", err)
	}
	go c.run()
	t.Cleanup(c.close)
	return c
}

// openPacketSocket opens a timestamped AF_PACKET socket of type typ on dev (in the calling
// thread's namespace) with the filter prog, its reads timing out every 200 ms (so that a
// reader sees its stop).
func openPacketSocket(dev string, typ int, prog []bpf.Instruction) (int, error) {
	ifi, err := net.InterfaceByName(dev)
	if err != nil {
		return -1, err
	}
	// ETH_P_ALL: a socket bound to one protocol sees only what the host receives.
	proto := htons(unix.ETH_P_ALL)
	fd, err := unix.Socket(unix.AF_PACKET, typ|unix.SOCK_CLOEXEC, int(proto))
	if err != nil {
		return -1, err
	}
	raw, err := bpf.Assemble(prog)
	if err != nil {
		unix.Close(fd)
		return -1, err
	}
	filter := make([]unix.SockFilter, len(raw))
	for i, r := range raw {
		filter[i] = unix.SockFilter{Code: r.Op, Jt: r.Jt, Jf: r.Jf, K: r.K}
	}
	tv := unix.Timeval{Usec: 200_000}
	for _, err := range []error{
		unix.SetsockoptSockFprog(fd, unix.SOL_SOCKET, unix.SO_ATTACH_FILTER, &unix.SockFprog{Len: uint16(len(filter)), Filter: &filter[0]}),
		unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_TIMESTAMPNS, 1),
		unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv),
		unix.Bind(fd, &unix.SockaddrLinklayer{Protocol: proto, Ifindex: ifi.Index}),
	} {
		if err != nil {
			unix.Close(fd)
			return -1, err
		}
	}
	return fd, nil
}

// kernelStamp is the SO_TIMESTAMPNS time in a control message, or now.
func kernelStamp(oob []byte) time.Time {
	if msgs, err := unix.ParseSocketControlMessage(oob); err == nil {
		for _, m := range msgs {
			if m.Header.Level == unix.SOL_SOCKET && m.Header.Type == unix.SO_TIMESTAMPNS && len(m.Data) >= 16 {
				return time.Unix(int64(binary.NativeEndian.Uint64(m.Data)), int64(binary.NativeEndian.Uint64(m.Data[8:])))
			}
		}
	}
	return time.Now()
}

func (c *clientCapture) run() {
	defer close(c.done)
	defer unix.Close(c.fd)
	buf := make([]byte, 256)
	oob := make([]byte, 128)
	for {
		select {
		case <-c.stop:
			return
		default:
		}
		n, oobn, _, from, err := unix.Recvmsg(c.fd, buf, oob, 0)
		ll, _ := from.(*unix.SockaddrLinklayer)
		if err != nil || ll == nil || n < 42 {
			continue
		}
		b := buf[:n]
		f := frameSeen{at: kernelStamp(oob[:oobn]), out: ll.Pkttype == unix.PACKET_OUTGOING,
			dst: net.HardwareAddr(append([]byte{}, b[0:6]...)), src: net.HardwareAddr(append([]byte{}, b[6:12]...))}
		if binary.BigEndian.Uint16(b[12:]) == unix.ETH_P_ARP {
			f.arp, f.op = true, binary.BigEndian.Uint16(b[20:])
			ip, _ := netip.AddrFromSlice(b[28:32])
			f.from = netip.AddrPortFrom(ip, 0)
		} else {
			ihl := int(b[14]&0x0f) * 4
			if n < 14+ihl+14 {
				continue
			}
			src, _ := netip.AddrFromSlice(b[26:30])
			dst, _ := netip.AddrFromSlice(b[30:34])
			tcp := b[14+ihl:]
			f.from = netip.AddrPortFrom(src, binary.BigEndian.Uint16(tcp[0:]))
			f.to = netip.AddrPortFrom(dst, binary.BigEndian.Uint16(tcp[2:]))
			f.flags = tcp[13]
		}
		c.mu.Lock()
		c.seen = append(c.seen, f)
		c.mu.Unlock()
	}
}

func (c *clientCapture) close() {
	select {
	case <-c.stop:
	default:
		close(c.stop)
	}
	<-c.done
}

// arpFrom is when the client first received an ARP frame sent from mac at or after since.
func (c *clientCapture) arpFrom(mac string, since time.Time) (time.Time, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, f := range c.seen {
		if f.arp && !f.out && f.src.String() == mac && !f.at.Before(since) {
			return f.at, true
		}
	}
	return time.Time{}, false
}

var clientPort = regexp.MustCompile(`:(\d+)->`)

// explain describes the frames around a failed request: those of its connection (when its
// error names the client's port) and every ARP and RST within a second of its start.
func (c *clientCapture) explain(r request) string {
	port := 0
	if m := clientPort.FindStringSubmatch(r.err.Error()); m != nil {
		port, _ = strconv.Atoi(m[1])
	}
	var sb strings.Builder
	fmt.Fprintf(&sb, "frames on the client around the request started %s (%v):\n", r.at.Format("15:04:05.000000"), r.err)
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, f := range c.seen {
		mine := port != 0 && (int(f.from.Port()) == port || int(f.to.Port()) == port)
		near := f.at.After(r.at.Add(-time.Second)) && f.at.Before(r.at.Add(2*time.Second)) && (f.arp || f.flags&0x04 != 0)
		if mine || near {
			fmt.Fprintf(&sb, "  %s\n", f)
		}
	}
	return sb.String()
}
