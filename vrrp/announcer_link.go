package vrrp

import (
	"fmt"
	"net"
	"unsafe"

	"golang.org/x/sys/unix"
)

// link returns dev's index and MAC address as the kernel has them now, by two ioctls
// (SIOCGIFINDEX, SIOCGIFHWADDR) on the entry's datagram socket, opened on first use in the
// calling thread's network namespace. net.InterfaceByName would do, but it dumps every
// link over a fresh netlink socket, many times the cost of two ioctls, and every
// announcement of a takeover's burst would pay it.
func (st *announceIface) link(dev string) (*net.Interface, error) {
	if st.ctl < 0 {
		fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			return nil, fmt.Errorf("socket for interface ioctls: %w", err)
		}
		st.ctl = fd
	}
	ifr, err := unix.NewIfreq(dev)
	if err != nil {
		return nil, err
	}
	if err := unix.IoctlIfreq(st.ctl, unix.SIOCGIFINDEX, ifr); err != nil {
		return nil, fmt.Errorf("interface %s: %w", dev, err)
	}
	index := int(ifr.Uint32())
	mac, err := hardwareAddr(st.ctl, dev)
	if err != nil {
		return nil, fmt.Errorf("interface %s: %w", dev, err)
	}
	return &net.Interface{Index: index, Name: dev, HardwareAddr: mac}, nil
}

// ifreqHW is struct ifreq with its union read as the struct sockaddr SIOCGIFHWADDR fills:
// the hardware type (ARPHRD_*) and the address. unix.Ifreq has no accessor for it.
type ifreqHW struct {
	name   [unix.IFNAMSIZ]byte
	family uint16
	data   [14]byte
	_      [8]byte // the rest of the union (struct ifmap is the largest member)
}

// hardwareAddr returns dev's Ethernet address; an error for any other kind of link.
func hardwareAddr(fd int, dev string) (net.HardwareAddr, error) {
	var req ifreqHW
	if len(dev) >= len(req.name) {
		return nil, unix.EINVAL
	}
	copy(req.name[:], dev)
	if _, _, errno := unix.Syscall(unix.SYS_IOCTL, uintptr(fd), unix.SIOCGIFHWADDR, uintptr(unsafe.Pointer(&req))); errno != 0 {
		return nil, errno
	}
	if req.family != unix.ARPHRD_ETHER {
		return nil, fmt.Errorf("interface has no Ethernet address (hardware type %d)", req.family)
	}
	return append(net.HardwareAddr(nil), req.data[:6]...), nil
}
