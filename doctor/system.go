package doctor

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// ErrNotChecked is returned by a System when the thing cannot be inspected here (a tool is
// missing, say); the check is reported as not checked rather than passed or failed.
var ErrNotChecked = errors.New("not checked")

// IfAddr is one address of one interface.
type IfAddr struct {
	Interface string
	Prefix    netip.Prefix
}

// Listener is a listening socket.
type Listener struct {
	Protocol string // "TCP"
	Addr     netip.AddrPort
}

// Link is one network interface.
type Link struct {
	Name string
	Up   bool // administratively up (ip link set IF up)
}

// Advert is a VRRP advert heard on an interface.
type Advert struct {
	Interface string
	Src       netip.Addr
	VRID      int
	Priority  int
	VIPs      []netip.Addr
}

// System is what the checks read. Live reads the calling thread's network namespace.
type System interface {
	Sysctl(key string) (string, error) // dotted key
	Addrs() ([]IfAddr, error)          // each interface's in the kernel's order: the primary first
	Links() ([]Link, error)
	Listeners() ([]Listener, error)
	ModuleLoaded(name string) (bool, error)
	Firewall() (Ruleset, error) // ErrNotChecked when no tool is there
	ListenAdverts(ifaces []string, d time.Duration) ([]Advert, error)
}

// Live is the System of the network namespace of the OS thread that calls it (/proc/sys/net
// and /proc/thread-self/net follow the thread). Command runs nft and iptables-save; nil means
// exec.Command.
type Live struct {
	Command func(name string, args ...string) *exec.Cmd
}

func (l *Live) Sysctl(key string) (string, error) {
	b, err := os.ReadFile(filepath.Join("/proc/sys", strings.ReplaceAll(key, ".", "/")))
	return strings.TrimSpace(string(b)), err
}

func (l *Live) Addrs() ([]IfAddr, error) {
	h, err := netlink.NewHandle(unix.NETLINK_ROUTE)
	if err != nil {
		return nil, err
	}
	defer h.Close()
	links, err := h.LinkList()
	if err != nil {
		return nil, err
	}
	var out []IfAddr
	for _, link := range links {
		addrs, err := h.AddrList(link, netlink.FAMILY_ALL)
		if err != nil {
			return nil, err
		}
		for _, a := range addrs {
			ip, ok := netip.AddrFromSlice(a.IP)
			if !ok {
				continue
			}
			bits, _ := a.Mask.Size()
			out = append(out, IfAddr{Interface: link.Attrs().Name, Prefix: netip.PrefixFrom(ip.Unmap(), bits)})
		}
	}
	return out, nil
}

func (l *Live) Links() ([]Link, error) {
	h, err := netlink.NewHandle(unix.NETLINK_ROUTE)
	if err != nil {
		return nil, err
	}
	defer h.Close()
	links, err := h.LinkList()
	if err != nil {
		return nil, err
	}
	out := make([]Link, 0, len(links))
	for _, link := range links {
		a := link.Attrs()
		out = append(out, Link{Name: a.Name, Up: a.Flags&net.FlagUp != 0})
	}
	return out, nil
}

// Listeners parses /proc/thread-self/net/tcp and tcp6 for sockets in LISTEN state (0A).
func (l *Live) Listeners() ([]Listener, error) {
	var out []Listener
	for _, f := range []string{"tcp", "tcp6"} {
		b, err := os.ReadFile("/proc/thread-self/net/" + f)
		if errors.Is(err, os.ErrNotExist) && f == "tcp6" {
			continue // IPv6 disabled
		}
		if err != nil {
			return nil, err
		}
		ls, err := parseProcNet(b)
		if err != nil {
			return nil, fmt.Errorf("/proc/net/%s: %w", f, err)
		}
		out = append(out, ls...)
	}
	return out, nil
}

// parseProcNet reads the LISTEN sockets of a /proc/net/tcp{,6} table: "sl local_address
// rem_address st ...", addresses as hex in host byte order per 32-bit word, port big-endian.
func parseProcNet(b []byte) ([]Listener, error) {
	var out []Listener
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Scan() // header
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 4 || f[3] != "0A" {
			continue
		}
		host, port, ok := strings.Cut(f[1], ":")
		if !ok {
			return nil, fmt.Errorf("bad local address %q", f[1])
		}
		raw, err := hex.DecodeString(host)
		if err != nil || (len(raw) != 4 && len(raw) != 16) {
			return nil, fmt.Errorf("bad local address %q", f[1])
		}
		for i := 0; i < len(raw); i += 4 { // each 32-bit word is in little-endian order
			raw[i], raw[i+1], raw[i+2], raw[i+3] = raw[i+3], raw[i+2], raw[i+1], raw[i]
		}
		p, err := strconv.ParseUint(port, 16, 16)
		if err != nil {
			return nil, fmt.Errorf("bad port %q", port)
		}
		ip, _ := netip.AddrFromSlice(raw)
		out = append(out, Listener{Protocol: "TCP", Addr: netip.AddrPortFrom(ip.Unmap(), uint16(p))})
	}
	return out, sc.Err()
}

func (l *Live) ModuleLoaded(name string) (bool, error) {
	for _, p := range []string{"/sys/module/" + name, "/proc/net/" + name} {
		if _, err := os.Stat(p); err == nil {
			return true, nil
		}
	}
	return false, nil
}

func (l *Live) command(name string, args ...string) *exec.Cmd {
	if l.Command != nil {
		return l.Command(name, args...)
	}
	return exec.Command(name, args...)
}

// Firewall reads nft's ruleset, else iptables-save's (and ip6tables-save's).
func (l *Live) Firewall() (Ruleset, error) {
	if _, err := exec.LookPath("nft"); err == nil {
		out, err := l.command("nft", "list", "ruleset").Output()
		if err != nil {
			return Ruleset{}, fmt.Errorf("nft list ruleset: %w", err)
		}
		return ParseNft(string(out)), nil
	}
	if _, err := exec.LookPath("iptables-save"); err == nil {
		out, err := l.command("iptables-save").Output()
		if err != nil {
			return Ruleset{}, fmt.Errorf("iptables-save: %w", err)
		}
		return ParseIptablesSave(string(out)), nil
	}
	return Ruleset{}, fmt.Errorf("%w: neither nft nor iptables-save is installed", ErrNotChecked)
}

// ListenAdverts opens a raw IPv4 socket for protocol 112, joins 224.0.0.18 on each interface
// and collects the adverts heard for d.
func (l *Live) ListenAdverts(ifaces []string, d time.Duration) ([]Advert, error) {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_RAW|unix.SOCK_CLOEXEC, 112)
	if err != nil {
		return nil, fmt.Errorf("raw socket for VRRP: %w", err)
	}
	defer unix.Close(fd)
	names := map[int]string{}
	for _, name := range ifaces {
		ifi, err := net.InterfaceByName(name)
		if err != nil {
			return nil, err
		}
		names[ifi.Index] = name
		mreq := &unix.IPMreqn{Multiaddr: [4]byte{224, 0, 0, 18}, Ifindex: int32(ifi.Index)}
		if err := unix.SetsockoptIPMreqn(fd, unix.IPPROTO_IP, unix.IP_ADD_MEMBERSHIP, mreq); err != nil {
			return nil, fmt.Errorf("join 224.0.0.18 on %s: %w", name, err)
		}
	}
	if err := unix.SetsockoptInt(fd, unix.IPPROTO_IP, unix.IP_PKTINFO, 1); err != nil {
		return nil, err
	}
	deadline := time.Now().Add(d)
	var out []Advert
	buf, oob := make([]byte, 1500), make([]byte, 128)
	for {
		left := time.Until(deadline)
		if left <= 0 {
			return out, nil
		}
		tv := unix.NsecToTimeval(left.Nanoseconds())
		if err := unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv); err != nil {
			return nil, err
		}
		n, oobn, _, _, err := unix.Recvmsg(fd, buf, oob, 0)
		if errors.Is(err, unix.EAGAIN) || errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			return nil, err
		}
		ifindex := pktinfoIndex(oob[:oobn])
		name, ok := names[ifindex]
		if !ok {
			continue
		}
		if a, ok := parseAdvert4(buf[:n]); ok {
			a.Interface = name
			out = append(out, a)
		}
	}
}

func pktinfoIndex(oob []byte) int {
	msgs, err := unix.ParseSocketControlMessage(oob)
	if err != nil {
		return 0
	}
	for _, m := range msgs {
		if m.Header.Level == unix.IPPROTO_IP && m.Header.Type == unix.IP_PKTINFO && len(m.Data) >= 4 {
			return int(int32(uint32(m.Data[0]) | uint32(m.Data[1])<<8 | uint32(m.Data[2])<<16 | uint32(m.Data[3])<<24))
		}
	}
	return 0
}

// parseAdvert4 reads the VRID, priority and addresses of an IPv4 VRRP v2 or v3 advert (with
// its IP header, as a raw socket delivers it). Checksums are not verified: doctor only wants
// to know who is on the segment.
func parseAdvert4(b []byte) (Advert, bool) {
	if len(b) < 20 || b[0]>>4 != 4 {
		return Advert{}, false
	}
	ihl := int(b[0]&0x0f) * 4
	if len(b) < ihl+8 {
		return Advert{}, false
	}
	src := netip.AddrFrom4([4]byte(b[12:16]))
	v := b[ihl:]
	if ver := v[0] >> 4; (ver != 2 && ver != 3) || v[0]&0x0f != 1 {
		return Advert{}, false
	}
	a := Advert{Src: src, VRID: int(v[1]), Priority: int(v[2])}
	count := int(v[3])
	if len(v) < 8+4*count {
		return Advert{}, false
	}
	for i := 0; i < count; i++ {
		a.VIPs = append(a.VIPs, netip.AddrFrom4([4]byte(v[8+4*i:12+4*i])))
	}
	return a, true
}
