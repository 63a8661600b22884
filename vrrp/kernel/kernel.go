package kernel

import (
	"net/netip"
	"time"
)

// Packet is one received VRRP message with the IP header fields the receive checks need.
type Packet struct {
	Src      netip.Addr // IP source address
	Dst      netip.Addr // IP destination address (multicast group or our unicast address)
	HopLimit int        // IPv4 TTL or IPv6 hop limit; -1 when the kernel did not report it
	IfIndex  int        // interface the packet arrived on; 0 when unknown
	Payload  []byte     // the VRRP message (the IP payload)
	// ReceivedAt is when the kernel received the packet; zero when unknown. The runner
	// times Master_Down_Interval from it rather than from when a goroutine got to the
	// packet, which is tens to hundreds of microseconds later, and uses it as given. A
	// Transport that sets it gives it a monotonic reading on time.Now's clock (see
	// vrrp.RawTransport.Receive), so that durations measured from it are immune to steps of the
	// wall clock, never later than Receive's return; one it cannot vouch for (a wall-clock
	// step between the kernel's stamp and the read) it leaves zero.
	ReceivedAt time.Time
}

// Transport sends and receives VRRP messages (IP protocol 112) on one interface for one
// address family. Several instances on one interface share one Transport.
type Transport interface {
	// Receive blocks until a message arrives or the Transport is closed (then it returns
	// net.ErrClosed). Receive must not be called concurrently with itself.
	Receive() (Packet, error)
	// Send writes msg to dst (the VRRP multicast group or a unicast peer) with TTL / hop
	// limit 255 (unicast: unicast_ttl) and LocalAddr as the source. Safe for concurrent use
	// with Receive.
	Send(dst netip.Addr, msg []byte) error
	// LocalAddr is the source address of sent adverts: the interface's primary IPv4 address
	// (or unicast_src_ip), or its IPv6 link-local address.
	LocalAddr() netip.Addr
	Close() error
}

// VIP is one virtual address as keepalived's virtual_ipaddress entry describes it.
type VIP struct {
	Prefix netip.Prefix // address and prefix length (/32 or /128 when none was given)
	Dev    string       // interface; the instance's interface when the entry names none
	Label  string       // IPv4 label such as "eth0:1"; empty for none
	Scope  string       // "global" (default), "site", "link", "host"
	// The further options of keepalived's address entry, as `ip address add` has them:
	// Broadcast ("brd", IPv4); Peer ("peer": the other end of a point-to-point address,
	// whose prefix length is then Prefix's); Flags, more IFA_F_* flags (noprefixroute, home,
	// mngtmpaddr, autojoin); DAD (keepalived's "-nodad": an IPv6 address goes through
	// duplicate address detection, which halvs otherwise skips); PreferredLft in seconds
	// when HasPreferredLft (IPv6; 0 deprecates the address, keepalived's default for /128).
	Broadcast       netip.Addr
	Peer            netip.Addr
	Flags           uint32
	DAD             bool
	PreferredLft    uint32
	HasPreferredLft bool
}

// Addresser adds and removes VIPs on interfaces. Every method is idempotent: adding a VIP
// that is present, or removing one that is absent, succeeds. A VIP is never made the
// preferred source address of its subnet (IPv4: secondary; IPv6: nodad unless VIP.DAD,
// and preferred_lft as VIP.PreferredLft says: the config gives a /128 keepalived's 0).
type Addresser interface {
	AddVIP(v VIP) error
	DelVIP(v VIP) error
	HasVIP(v VIP) (bool, error)
}

// Announcer tells the segment that this host now owns addr: for IPv4 a gratuitous ARP request
// and reply (sender = target = addr, broadcast), for IPv6 an unsolicited neighbour
// advertisement to ff02::1 with the override flag. One call sends one announcement; the
// runner schedules bursts, delays and refreshes.
type Announcer interface {
	Announce(dev string, addr netip.Addr) error
}

// LinkWatcher reports an interface's operational state for track_interface and for the
// instance's own interface (link down means Fault).
type LinkWatcher interface {
	// Watch calls fn with the current state at once and then on every change, from one
	// goroutine, until stop is closed.
	Watch(dev string, fn func(up bool), stop <-chan struct{}) error
}
