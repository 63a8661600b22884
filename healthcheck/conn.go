package healthcheck

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// Conn is keepalived's connection options, shared by the checkers that open a socket
// (TCP_CHECK, HTTP_GET, SSL_GET, UDP_CHECK, DNS_CHECK).
type Conn struct {
	ConnectIP      netip.Addr    // connect_ip; zero: the real server's address
	ConnectPort    uint16        // connect_port; zero: the real server's port
	BindTo         netip.Addr    // bindto; zero: the kernel picks
	BindPort       uint16        // bind_port
	BindInterface  string        // bind_if (SO_BINDTODEVICE); required for link-local targets
	ConnectTimeout time.Duration // connect_timeout; zero: 5 s
	FWMark         uint32        // fwmark (SO_MARK)
}

// resolve fills the defaults from the real server and checks the combination.
func (c Conn) resolve(rs netip.AddrPort) (Conn, error) {
	if !c.ConnectIP.IsValid() {
		c.ConnectIP = rs.Addr()
	}
	if c.ConnectPort == 0 {
		c.ConnectPort = rs.Port()
	}
	if c.ConnectTimeout == 0 {
		c.ConnectTimeout = DefaultConnectTimeout
	}
	c.ConnectIP = c.ConnectIP.Unmap()
	switch {
	case !c.ConnectIP.IsValid():
		return c, errors.New("no connect_ip and no real server address")
	case c.ConnectPort == 0:
		return c, errors.New("no connect_port and no real server port")
	case c.ConnectTimeout < 0:
		return c, errors.New("connect_timeout must be positive")
	case c.BindTo.IsValid() && c.BindTo.Unmap().Is4() != c.ConnectIP.Is4():
		return c, fmt.Errorf("bindto %v does not match the address family of connect_ip %v", c.BindTo, c.ConnectIP)
	case c.ConnectIP.Is6() && c.ConnectIP.IsLinkLocalUnicast() && c.BindInterface == "" && c.ConnectIP.Zone() == "":
		return c, fmt.Errorf("link-local connect_ip %v needs bind_if", c.ConnectIP)
	}
	return c, nil
}

// target is the address the probe connects to.
func (c Conn) target() netip.AddrPort {
	ip := c.ConnectIP
	if ip.Is6() && ip.IsLinkLocalUnicast() && ip.Zone() == "" {
		ip = ip.WithZone(c.BindInterface)
	}
	return netip.AddrPortFrom(ip, c.ConnectPort)
}

// dialer returns a net.Dialer with bindto, bind_port, bind_if and fwmark applied.
func (c Conn) dialer(network string) *net.Dialer {
	d := &net.Dialer{Timeout: c.ConnectTimeout}
	if c.BindTo.IsValid() || c.BindPort != 0 {
		ap := netip.AddrPortFrom(c.BindTo.Unmap(), c.BindPort)
		if network == "udp" {
			d.LocalAddr = net.UDPAddrFromAddrPort(ap)
		} else {
			d.LocalAddr = net.TCPAddrFromAddrPort(ap)
		}
	}
	if c.BindInterface != "" || c.FWMark != 0 {
		d.Control = func(_, _ string, rc syscall.RawConn) error {
			var serr error
			err := rc.Control(func(fd uintptr) {
				if c.BindInterface != "" {
					if serr = unix.BindToDevice(int(fd), c.BindInterface); serr != nil {
						serr = fmt.Errorf("bind_if %s: %w", c.BindInterface, serr)
						return
					}
				}
				if c.FWMark != 0 {
					if serr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_MARK, int(c.FWMark)); serr != nil {
						serr = fmt.Errorf("fwmark %d: %w", c.FWMark, serr)
					}
				}
			})
			if err != nil {
				return err
			}
			return serr
		}
	}
	return d
}
