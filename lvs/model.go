package lvs

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// Protocol is a virtual service's IP protocol number (IPPROTO_*), as IPVS stores it.
type Protocol uint16

// The protocols IPVS balances.
const (
	TCP  Protocol = unix.IPPROTO_TCP
	UDP  Protocol = unix.IPPROTO_UDP
	SCTP Protocol = unix.IPPROTO_SCTP
)

func (p Protocol) String() string {
	switch p {
	case TCP:
		return "TCP"
	case UDP:
		return "UDP"
	case SCTP:
		return "SCTP"
	}
	return "proto-" + strconv.Itoa(int(p))
}

// flag is ipvsadm's option naming a service of this protocol.
func (p Protocol) flag() string {
	switch p {
	case TCP:
		return "-t"
	case UDP:
		return "-u"
	case SCTP:
		return "--sctp-service"
	}
	return "--protocol-" + strconv.Itoa(int(p))
}

// Family is an address family (AF_INET or AF_INET6). Firewall-mark services carry one
// because the mark alone does not say which family's packets they match.
type Family uint16

// The two families IPVS serves.
const (
	IPv4 Family = unix.AF_INET
	IPv6 Family = unix.AF_INET6
)

func (f Family) String() string {
	switch f {
	case IPv4:
		return "IPv4"
	case IPv6:
		return "IPv6"
	}
	return "family-" + strconv.Itoa(int(f))
}

func familyOf(a netip.Addr) Family {
	if a.Is4() {
		return IPv4
	}
	return IPv6
}

func (f Family) bits() int {
	if f == IPv6 {
		return 128
	}
	return 32
}

// ServiceKey identifies a virtual service: protocol + address + port, or a firewall mark +
// family. Build it with NewServiceKey or FWMarkKey so that equal services compare equal.
type ServiceKey struct {
	Family   Family
	Protocol Protocol       // zero for a firewall-mark service
	Addr     netip.AddrPort // zero for a firewall-mark service
	FWMark   uint32         // zero for an address service
}

// NewServiceKey is the key of the service proto addr:port. An IPv4-mapped IPv6 address is
// taken as the IPv4 address it maps, as the kernel does.
func NewServiceKey(proto Protocol, addr netip.AddrPort) ServiceKey {
	a := netip.AddrPortFrom(addr.Addr().Unmap(), addr.Port())
	return ServiceKey{Family: familyOf(a.Addr()), Protocol: proto, Addr: a}
}

// FWMarkKey is the key of the firewall-mark service mark for family f.
func FWMarkKey(mark uint32, f Family) ServiceKey {
	return ServiceKey{Family: f, FWMark: mark}
}

// Validate reports why k cannot name a kernel service.
func (k ServiceKey) Validate() error {
	if k.Family != IPv4 && k.Family != IPv6 {
		return fmt.Errorf("service %s: unknown address family %d", k, k.Family)
	}
	if k.FWMark != 0 {
		if k.Protocol != 0 || k.Addr.IsValid() {
			return fmt.Errorf("service %s: a firewall-mark service has no protocol or address", k)
		}
		return nil
	}
	switch k.Protocol {
	case TCP, UDP, SCTP:
	default:
		return fmt.Errorf("service %s: protocol must be TCP, UDP or SCTP", k)
	}
	a := k.Addr.Addr()
	switch {
	case !a.IsValid():
		return fmt.Errorf("service %s: no address and no firewall mark", k)
	case a.Is4In6() || familyOf(a) != k.Family:
		return fmt.Errorf("service %s: address family does not match %s (build keys with NewServiceKey)", k, k.Family)
	case a.Zone() != "":
		return fmt.Errorf("service %s: a virtual address cannot carry a zone", k)
	case a.IsUnspecified():
		return fmt.Errorf("service %s: virtual address is unspecified", k)
	}
	return nil
}

// String is the key in ipvsadm's notation: "-t 10.10.10.22:80", "-f 1", "-f 1 -6".
func (k ServiceKey) String() string { return string(k.appendTo(nil)) }

// appendTo appends String's text to b.
func (k ServiceKey) appendTo(b []byte) []byte {
	if k.FWMark != 0 {
		b = strconv.AppendUint(append(b, "-f "...), uint64(k.FWMark), 10)
		if k.Family == IPv6 {
			b = append(b, " -6"...)
		}
		return b
	}
	b = append(b, k.Protocol.flag()...)
	return k.Addr.AppendTo(append(b, ' '))
}

// SchedFlags are the scheduler's own flags (ipvsadm -b). Their meaning depends on the
// scheduler: flag-1 is sh-fallback for sh and mh-fallback for mh, flag-2 is sh-port / mh-port.
type SchedFlags uint8

// Scheduler flags.
const (
	SchedFlag1 SchedFlags = 1 << iota
	SchedFlag2
	SchedFlag3

	SHFallback = SchedFlag1
	SHPort     = SchedFlag2
	MHFallback = SchedFlag1
	MHPort     = SchedFlag2
)

// names spells f as ipvsadm does for scheduler sched.
func (f SchedFlags) names(sched string) string {
	var n [3]string
	switch sched {
	case "sh":
		n = [3]string{"sh-fallback", "sh-port", "flag-3"}
	case "mh":
		n = [3]string{"mh-fallback", "mh-port", "flag-3"}
	default:
		n = [3]string{"flag-1", "flag-2", "flag-3"}
	}
	var parts []string
	for i := range 3 {
		if f&(1<<i) != 0 {
			parts = append(parts, n[i])
		}
	}
	return strings.Join(parts, ",")
}

// Service is a virtual service's settings. Its zero persistence means not persistent.
type Service struct {
	Key        ServiceKey
	Scheduler  string     // kernel scheduler name: rr, wrr, lc, wlc, sh, mh, ...
	SchedFlags SchedFlags // ipvsadm -b
	OnePacket  bool       // one-packet scheduling (ipvsadm -o, keepalived "ops"), UDP only

	// Persistence is the persistence timeout (ipvsadm -p); zero means not persistent.
	// The kernel keeps whole seconds.
	Persistence time.Duration
	// Granularity is the persistence netmask as a prefix length (ipvsadm -M,
	// keepalived persistence_granularity); zero means a host mask (32 or 128), the default.
	Granularity int
	// PE is the persistence engine (ipvsadm --pe, keepalived persistence_engine): "sip" keys
	// persistence on the SIP Call-ID instead of the client address. "" is none. Only with
	// Persistence.
	PE string
}

// maxPENameLen is IP_VS_PENAME_MAXLEN, the NUL included.
const maxPENameLen = 16

// Validate reports why s cannot be programmed.
func (s Service) Validate() error {
	if err := s.Key.Validate(); err != nil {
		return err
	}
	if s.Scheduler == "" || len(s.Scheduler) >= 16 || strings.Trim(s.Scheduler, "abcdefghijklmnopqrstuvwxyz0123456789_") != "" {
		return fmt.Errorf("service %s: invalid scheduler name %q", s.Key, s.Scheduler)
	}
	if s.SchedFlags > SchedFlag1|SchedFlag2|SchedFlag3 {
		return fmt.Errorf("service %s: unknown scheduler flags %#x", s.Key, uint8(s.SchedFlags))
	}
	if s.Persistence < 0 || s.Persistence%time.Second != 0 || s.Persistence/time.Second > 1<<31 {
		return fmt.Errorf("service %s: persistence timeout %v is not a whole number of seconds", s.Key, s.Persistence)
	}
	if s.Granularity < 0 || s.Granularity > s.Key.Family.bits() {
		return fmt.Errorf("service %s: persistence granularity /%d is out of range for %s", s.Key, s.Granularity, s.Key.Family)
	}
	if s.Granularity != 0 && s.Persistence == 0 {
		return fmt.Errorf("service %s: persistence granularity without a persistence timeout", s.Key)
	}
	if s.PE != "" && (len(s.PE) >= maxPENameLen || strings.Trim(s.PE, "abcdefghijklmnopqrstuvwxyz0123456789_") != "") {
		return fmt.Errorf("service %s: invalid persistence engine name %q", s.Key, s.PE)
	}
	if s.PE != "" && s.Persistence == 0 {
		return fmt.Errorf("service %s: persistence engine without a persistence timeout", s.Key)
	}
	return nil
}

// String is the service as ipvsadm --save writes it: "-A -t 10.10.10.22:80 -s wrr -p 50".
func (s Service) String() string { return "-A " + s.spec() }

func (s Service) spec() string { return string(s.appendSpec(nil)) }

// appendSpec appends spec's text to b.
func (s Service) appendSpec(b []byte) []byte {
	b = s.Key.appendTo(b)
	b = append(append(b, " -s "...), s.Scheduler...)
	if s.SchedFlags != 0 {
		b = append(append(b, " -b "...), s.SchedFlags.names(s.Scheduler)...)
	}
	if s.Persistence > 0 {
		b = strconv.AppendInt(append(b, " -p "...), int64(s.Persistence/time.Second), 10)
		if g := s.Granularity; g != 0 && g != s.Key.Family.bits() {
			b = append(b, " -M "...)
			if s.Key.Family == IPv6 {
				b = strconv.AppendInt(b, int64(g), 10)
			} else {
				b = prefixMask4(g).AppendTo(b)
			}
		}
		if s.PE != "" {
			b = append(append(b, " --pe "...), s.PE...)
		}
	}
	if s.OnePacket {
		b = append(b, " -o"...)
	}
	return b
}

// normalized folds equivalent spellings together (a /32 granularity equals the default)
// so that values read from the kernel compare equal to the desired ones.
func (s Service) normalized() Service {
	if s.Granularity == s.Key.Family.bits() || s.Persistence == 0 {
		s.Granularity = 0
	}
	return s
}

// Forwarding is a destination's packet-forwarding method.
type Forwarding uint8

// Forwarding methods, with the kernel's values (IP_VS_CONN_F_*).
const (
	NAT   Forwarding = 0 // masquerading, ipvsadm -m
	Local Forwarding = 1 // the kernel's choice for a destination on the director itself
	TUN   Forwarding = 2 // IP-in-IP tunnelling, ipvsadm -i
	DR    Forwarding = 3 // direct routing ("gatewaying"), ipvsadm -g
)

func (f Forwarding) String() string {
	switch f {
	case NAT:
		return "NAT"
	case Local:
		return "Local"
	case TUN:
		return "TUN"
	case DR:
		return "DR"
	}
	return "forwarding-" + strconv.Itoa(int(f))
}

func (f Forwarding) flag() string {
	switch f {
	case NAT:
		return "-m"
	case TUN:
		return "-i"
	case DR, Local:
		// ipvsadm has no option for Local; it shows as -g in ipvsadm --save too.
		return "-g"
	}
	return "--forwarding-" + strconv.Itoa(int(f))
}

// MaxWeight is the largest destination weight. The kernel keeps the weight in an int and
// rejects only negative ones (ip_vs_ctl.c: "server weight less than zero"); keepalived accepts
// real server weights 0..INT_MAX and clamps effective weights to the same bound. ipvsadm's
// own 65535 is only its command-line limit.
const MaxWeight = 1<<31 - 1

// ClampWeight bounds a computed weight (a configured weight moved by dynamic weights and
// offsets) to 0..MaxWeight, as keepalived's real_weight does.
func ClampWeight(w int64) int { return int(min(max(w, 0), MaxWeight)) }

// Destination is a real server of a virtual service.
type Destination struct {
	Addr    netip.AddrPort
	Forward Forwarding
	Weight  int
	Upper   uint32 // upper connection threshold (ipvsadm -x); zero means none
	Lower   uint32 // lower connection threshold (ipvsadm -y); zero means none
	Tunnel  Tunnel // TUN only: the encapsulation; zero is IP-in-IP
}

// Validate reports why d cannot be a destination of the service keyed k.
func (d Destination) Validate(k ServiceKey) error {
	a := d.Addr.Addr()
	switch {
	case !a.IsValid():
		return fmt.Errorf("service %s: destination without an address", k)
	case a.Is4In6() || a.Zone() != "":
		return fmt.Errorf("service %s: destination %s: use a plain address (no mapped IPv4, no zone)", k, d.Addr)
	case familyOf(a) != k.Family:
		return fmt.Errorf("service %s: destination %s is not %s", k, d.Addr, k.Family)
	case d.Forward != NAT && d.Forward != TUN && d.Forward != DR:
		return fmt.Errorf("service %s: destination %s: forwarding must be NAT, DR or TUN", k, d.Addr)
	case d.Weight < 0 || d.Weight > MaxWeight:
		return fmt.Errorf("service %s: destination %s: weight %d out of range 0-%d", k, d.Addr, d.Weight, MaxWeight)
	case d.Upper != 0 && d.Lower > d.Upper:
		return fmt.Errorf("service %s: destination %s: lower threshold %d above upper threshold %d", k, d.Addr, d.Lower, d.Upper)
	case d.Tunnel != Tunnel{} && d.Forward != TUN:
		return fmt.Errorf("service %s: destination %s: a tunnel type needs TUN forwarding", k, d.Addr)
	}
	if err := d.Tunnel.validate(); err != nil {
		return fmt.Errorf("service %s: destination %s: %w", k, d.Addr, err)
	}
	return nil
}

// spec is the destination part of an ipvsadm rule: "-r 10.10.10.31:80 -g -w 3".
func (d Destination) spec() string { return string(d.appendSpec(nil)) }

// appendSpec appends spec's text to b.
func (d Destination) appendSpec(b []byte) []byte {
	b = d.Addr.AppendTo(append(b, "-r "...))
	b = d.Tunnel.appendSpec(append(append(b, ' '), d.Forward.flag()...))
	b = append(b, " -w "...)
	b = strconv.AppendInt(b, int64(d.Weight), 10)
	if d.Upper != 0 {
		b = strconv.AppendUint(append(b, " -x "...), uint64(d.Upper), 10)
	}
	if d.Lower != 0 {
		b = strconv.AppendUint(append(b, " -y "...), uint64(d.Lower), 10)
	}
	return b
}

// sameAs says whether the kernel's destination got already is what want asks for. The kernel
// reports Local for a destination whose address is the director's own, whatever it was
// given, so Local matches any method.
func (d Destination) sameAs(got Destination) bool {
	if got.Forward == Local {
		got.Forward = d.Forward
	}
	return d == got
}

// VirtualServer is one service with its real servers: the desired state of one entry of the
// table, or what the kernel holds for it.
type VirtualServer struct {
	Service      Service
	Destinations []Destination
	// Sorry is the sorry server that replaces the destinations while the service has lost its
	// quorum (see Reconciler.SetQuorum); a zero Addr means none.
	Sorry Destination
}

// Validate reports the first reason vs cannot be programmed.
func (vs VirtualServer) Validate() error {
	if err := vs.Service.Validate(); err != nil {
		return err
	}
	// A service has a handful of real servers: comparing them pairwise is cheaper than a
	// map (and allocates nothing) up to a few dozen.
	var seen map[netip.AddrPort]bool
	if len(vs.Destinations) > smallDests {
		seen = make(map[netip.AddrPort]bool, len(vs.Destinations))
	}
	for i, d := range vs.Destinations {
		if err := d.Validate(vs.Service.Key); err != nil {
			return err
		}
		dup := seen[d.Addr]
		if seen == nil {
			dup = indexDest(vs.Destinations[:i], d.Addr) >= 0
		} else {
			seen[d.Addr] = true
		}
		if dup {
			return fmt.Errorf("service %s: destination %s listed twice", vs.Service.Key, d.Addr)
		}
	}
	if vs.Sorry.Addr.IsValid() {
		if err := vs.Sorry.Validate(vs.Service.Key); err != nil {
			return fmt.Errorf("sorry server: %w", err)
		}
	}
	return nil
}

// smallDests is the number of destinations up to which a linear search beats a map.
const smallDests = 16

// indexDest is the index of the destination at a in ds, or -1.
func indexDest(ds []Destination, a netip.AddrPort) int {
	for i := range ds {
		if ds[i].Addr == a {
			return i
		}
	}
	return -1
}

// Validate checks a whole desired table: every entry valid, no service twice.
func Validate(table []VirtualServer) error {
	seen := make(map[ServiceKey]bool, len(table))
	for _, vs := range table {
		if err := vs.Validate(); err != nil {
			return err
		}
		if seen[vs.Service.Key] {
			return fmt.Errorf("service %s listed twice", vs.Service.Key)
		}
		seen[vs.Service.Key] = true
	}
	return nil
}

// Timeouts are IPVS's global connection timeouts (ipvsadm --set). The kernel keeps whole
// seconds; a zero field leaves that timeout unchanged.
type Timeouts struct {
	TCP    time.Duration
	TCPFin time.Duration
	UDP    time.Duration
}

// Validate reports a negative or fractional timeout.
func (t Timeouts) Validate() error {
	for _, d := range []time.Duration{t.TCP, t.TCPFin, t.UDP} {
		if d < 0 || d%time.Second != 0 || d/time.Second > 1<<31 {
			return fmt.Errorf("lvs timeouts %s: each must be a whole number of seconds", t.spec())
		}
	}
	return nil
}

func (t Timeouts) spec() string {
	return fmt.Sprintf("%d %d %d", t.TCP/time.Second, t.TCPFin/time.Second, t.UDP/time.Second)
}

// SyncRole is the role of an IPVS connection-synchronisation daemon.
type SyncRole uint8

// Sync daemon roles, with the kernel's values (IP_VS_STATE_*).
const (
	SyncMaster SyncRole = 1
	SyncBackup SyncRole = 2
)

func (r SyncRole) String() string {
	switch r {
	case SyncMaster:
		return "master"
	case SyncBackup:
		return "backup"
	}
	return "role-" + strconv.Itoa(int(r))
}

// SyncDaemon is one running (or wanted) IPVS sync daemon.
type SyncDaemon struct {
	Role      SyncRole
	Interface string // multicast interface (ipvsadm --mcast-interface)
	SyncID    uint8  // ipvsadm --syncid; keepalived defaults it to the VRRP router id
}

// Validate reports why d cannot be started.
func (d SyncDaemon) Validate() error {
	if d.Role != SyncMaster && d.Role != SyncBackup {
		return fmt.Errorf("sync daemon: role must be master or backup, not %d", d.Role)
	}
	if d.Interface == "" || len(d.Interface) >= unix.IFNAMSIZ {
		return fmt.Errorf("sync daemon: invalid interface name %q", d.Interface)
	}
	return nil
}

func prefixMask4(bits int) netip.Addr {
	m := ^uint32(0) << (32 - bits)
	if bits == 0 {
		m = 0
	}
	return netip.AddrFrom4([4]byte{byte(m >> 24), byte(m >> 16), byte(m >> 8), byte(m)})
}
