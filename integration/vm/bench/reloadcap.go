package main

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"runtime"
	"sync"
	"time"

	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// advertCapture records the VRRP adverts one router sends, as the peer's namespace receives
// them: a packet socket on the peer's interface with kernel receive timestamps
// (SO_TIMESTAMPNS), so the figures do not depend on when this process gets the vCPU.
type advertCapture struct {
	fd   int
	from netip.Addr
	done chan struct{}
	stop chan struct{}

	mu      sync.Mutex
	adverts []advert
	err     error
}

// advert is one advert received: when, and the priority it carried.
type advert struct {
	at       time.Time
	priority uint8
}

// captureAdverts opens the socket on ifname inside network namespace nsName (the socket
// stays there once this thread is back in its own) and records the adverts from until stop.
func captureAdverts(nsName, ifname string, from netip.Addr) (*advertCapture, error) {
	fd, err := packetSocketIn(nsName, ifname)
	if err != nil {
		return nil, err
	}
	c := &advertCapture{fd: fd, from: from, done: make(chan struct{}), stop: make(chan struct{})}
	go c.loop()
	return c, nil
}

func packetSocketIn(nsName, ifname string) (int, error) {
	runtime.LockOSThread()
	orig, err := netns.Get()
	if err != nil {
		runtime.UnlockOSThread()
		return -1, err
	}
	defer orig.Close()
	target, err := netns.GetFromName(nsName)
	if err != nil {
		runtime.UnlockOSThread()
		return -1, fmt.Errorf("namespace %s: %w", nsName, err)
	}
	defer target.Close()
	if err := netns.Set(target); err != nil {
		runtime.UnlockOSThread()
		return -1, err
	}
	fd, err := packetSocket(ifname)
	if err := netns.Set(orig); err != nil {
		// The thread is stuck in the other namespace: keep it locked, so that it ends
		// with this goroutine instead of running others there.
		return -1, fmt.Errorf("back from namespace %s: %w", nsName, err)
	}
	runtime.UnlockOSThread()
	return fd, err
}

func packetSocket(ifname string) (int, error) {
	ifi, err := net.InterfaceByName(ifname)
	if err != nil {
		return -1, err
	}
	proto := int(htons(unix.ETH_P_IP))
	fd, err := unix.Socket(unix.AF_PACKET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, proto)
	if err != nil {
		return -1, err
	}
	fail := func(err error) (int, error) {
		unix.Close(fd)
		return -1, err
	}
	if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_TIMESTAMPNS, 1); err != nil {
		return fail(err)
	}
	// A receive timeout lets the loop notice stop.
	if err := unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &unix.Timeval{Usec: 200_000}); err != nil {
		return fail(err)
	}
	if err := unix.Bind(fd, &unix.SockaddrLinklayer{Protocol: htons(unix.ETH_P_IP), Ifindex: ifi.Index}); err != nil {
		return fail(err)
	}
	return fd, nil
}

func htons(v uint16) uint16 { return v<<8 | v>>8 }

func (c *advertCapture) loop() {
	defer close(c.done)
	buf, oob := make([]byte, 2048), make([]byte, 128)
	for {
		select {
		case <-c.stop:
			return
		default:
		}
		n, oobn, _, _, err := unix.Recvmsg(c.fd, buf, oob, 0)
		if errors.Is(err, unix.EAGAIN) || errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			c.fail(err)
			return
		}
		at, err := rxTime(oob[:oobn])
		if err != nil {
			c.fail(err)
			return
		}
		if prio, ok := vrrpAdvert(buf[:n], c.from); ok {
			c.mu.Lock()
			c.adverts = append(c.adverts, advert{at: at, priority: prio})
			c.mu.Unlock()
		}
	}
}

func (c *advertCapture) fail(err error) {
	c.mu.Lock()
	c.err = err
	c.mu.Unlock()
}

// rxTime is the kernel's receive time from the SCM_TIMESTAMPNS control message.
func rxTime(oob []byte) (time.Time, error) {
	msgs, err := unix.ParseSocketControlMessage(oob)
	if err != nil {
		return time.Time{}, err
	}
	for _, m := range msgs {
		if m.Header.Level == unix.SOL_SOCKET && m.Header.Type == unix.SCM_TIMESTAMPNS && len(m.Data) >= 16 {
			sec := int64(binary.NativeEndian.Uint64(m.Data[0:8]))
			nsec := int64(binary.NativeEndian.Uint64(m.Data[8:16]))
			return time.Unix(sec, nsec), nil
		}
	}
	return time.Time{}, errors.New("packet without a receive timestamp")
}

// vrrpAdvert reads an IPv4 packet: a VRRP advertisement (protocol 112, type 1) from src,
// and its priority.
func vrrpAdvert(p []byte, src netip.Addr) (uint8, bool) {
	if len(p) < 20 || p[0]>>4 != 4 || p[9] != 112 {
		return 0, false
	}
	ihl := int(p[0]&0x0f) * 4
	if a, _ := netip.AddrFromSlice(p[12:16]); a != src || len(p) < ihl+4 || p[ihl]&0x0f != 1 {
		return 0, false
	}
	return p[ihl+2], true
}

// since returns the adverts received at or after t, and the capture's error if it ended.
func (c *advertCapture) since(t time.Time) ([]advert, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []advert
	for _, a := range c.adverts {
		if !a.at.Before(t) {
			out = append(out, a)
		}
	}
	return out, c.err
}

func (c *advertCapture) close() {
	close(c.stop)
	<-c.done
	unix.Close(c.fd)
}
