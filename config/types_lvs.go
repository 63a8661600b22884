package config

import (
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/halvs/halvs/healthcheck"
)

// Protocol is a virtual server's L4 protocol.
type Protocol string

const (
	ProtocolTCP  Protocol = "TCP"
	ProtocolUDP  Protocol = "UDP"
	ProtocolSCTP Protocol = "SCTP"
)

// Scheduler is an IPVS scheduler name (lvs_sched).
type Scheduler string

const (
	SchedRR    Scheduler = "rr"
	SchedWRR   Scheduler = "wrr"
	SchedLC    Scheduler = "lc"
	SchedWLC   Scheduler = "wlc"
	SchedLBLC  Scheduler = "lblc"
	SchedLBLCR Scheduler = "lblcr"
	SchedDH    Scheduler = "dh"
	SchedSH    Scheduler = "sh"
	SchedSED   Scheduler = "sed"
	SchedNQ    Scheduler = "nq"
	SchedMH    Scheduler = "mh"
	SchedFO    Scheduler = "fo"
	SchedOVF   Scheduler = "ovf"
	SchedTWOS  Scheduler = "twos"
)

var schedulers = []Scheduler{SchedRR, SchedWRR, SchedLC, SchedWLC, SchedLBLC, SchedLBLCR,
	SchedDH, SchedSH, SchedSED, SchedNQ, SchedMH, SchedFO, SchedOVF, SchedTWOS}

// Method is an IPVS forwarding method (lvs_method).
type Method string

const (
	MethodNAT Method = "NAT"
	MethodDR  Method = "DR"
	MethodTUN Method = "TUN"
)

// SchedFlags are the scheduler flags (ipvsadm -b). keepalived's sh-fallback and mh-fallback
// are Flag1, sh-port and mh-port are Flag2.
type SchedFlags struct {
	Flag1 bool
	Flag2 bool
	Flag3 bool
}

// VirtualServer is a `virtual_server "KEY"` block. Exactly one of Addr (an address service),
// FWMark (a firewall-mark service) or Group (a virtual_server_group) identifies it.
type VirtualServer struct {
	Addr                   netip.AddrPort // port 0: all ports (persistent services only)
	FWMark                 uint32
	Group                  string
	Family                 Family
	Protocol               Protocol
	Scheduler              Scheduler
	SchedFlags             SchedFlags
	OPS                    bool // one-packet scheduling (UDP)
	Method                 Method
	Tunnel                 Tunnel        // with TUN: the encapsulation, default for the real servers
	PersistenceTimeout     time.Duration // 0: not persistent
	PersistenceGranularity int           // netmask length; default the full address length
	PersistenceEngine      string        // persistence_engine: "sip" or "" (none); with persistence only
	DelayLoop              time.Duration
	Quorum                 int
	Hysteresis             int
	QuorumUp               Script
	QuorumDown             Script
	SorryServer            netip.AddrPort // zero: none
	SorryServerMethod      Method
	SorryServerTunnel      Tunnel
	InhibitOnFailure       bool
	Alpha                  bool
	Omega                  bool
	Virtualhost            string
	RealServers            []RealServer
	Source                 Source
}

// Name is the virtual server's label in canonical form: "10.10.10.22:80", "[2001:db8::1]:80",
// "fwmark:1" or "group:NAME". Two blocks with the same Name and Protocol are duplicates.
func (vs *VirtualServer) Name() string {
	switch {
	case vs.Group != "":
		return "group:" + vs.Group
	case vs.FWMark != 0:
		return fmt.Sprintf("fwmark:%d", vs.FWMark)
	}
	return vs.Addr.String()
}

// RealServer is a `real_server "ADDR:PORT"` block inside a virtual server, with the values it
// inherits from its virtual server applied.
type RealServer struct {
	Addr             netip.AddrPort
	Weight           int
	Method           Method
	Tunnel           Tunnel // with TUN: the encapsulation
	InhibitOnFailure bool
	NotifyUp         Script
	NotifyDown       Script
	UThreshold       int // 0: no limit
	LThreshold       int
	Alpha            bool
	DelayLoop        time.Duration
	Virtualhost      string
	Checkers         []Checker // all must pass for the server to be up; none: always up
	Source           Source
}

// checkerKinds are the checker blocks a real server takes. The kinds are healthcheck's,
// spelled as keepalived's keywords; a configuration writes them in lower case (checkerBlock).
var checkerKinds = []healthcheck.Kind{healthcheck.KindTCP, healthcheck.KindHTTP, healthcheck.KindSSL,
	healthcheck.KindMisc, healthcheck.KindDNS, healthcheck.KindUDP, healthcheck.KindPing, healthcheck.KindFile,
	healthcheck.KindSMTP}

// checkerBlock is the block name of a checker kind in a halvs configuration (tcp_check).
func checkerBlock(k healthcheck.Kind) string { return strings.ToLower(string(k)) }

func checkerBlocks() []string {
	var names []string
	for _, k := range checkerKinds {
		names = append(names, checkerBlock(k))
	}
	return names
}

// Checker is one health checker of a real server, every value resolved (checker, then real
// server, then virtual server, then keepalived's default for the kind). Exactly the
// kind-specific pointer that matches Kind is set (none for tcp_check and ping_check).
type Checker struct {
	Kind             healthcheck.Kind
	ConnectIP        netip.Addr // default the real server's address
	ConnectPort      uint16     // default the real server's port
	BindTo           netip.Addr
	BindPort         uint16
	BindIf           string
	FWMark           uint32 // fwmark: SO_MARK on the checker's socket; 0 is none
	ConnectTimeout   time.Duration
	Retry            int
	DelayBeforeRetry time.Duration
	DelayLoop        time.Duration
	Warmup           time.Duration // the first check is at a random offset up to this
	Alpha            bool
	LogAllFailures   bool // log_all_failures; global checker_log_all_failures applies too
	HTTP             *HTTPCheck
	Misc             *MiscCheck
	DNS              *DNSCheck
	UDP              *UDPCheck
	File             *FileCheck
	SMTP             *SMTPCheck
	Source           Source
}

// HTTPCheck holds http_get / ssl_get settings.
type HTTPCheck struct {
	URLs         []URL
	HTTPProtocol string // "1.0", "1.0C" or "1.1"; default "1.0"
	Virtualhost  string
	EnableSNI    bool   // ssl_get only
	SNIName      string // ssl_get: the server name sent (sni_name); "" : the virtual host
	// TLSVerify checks the server's certificate chain and name, against the roots in CAFile
	// (PEM; empty: the system's). ssl_get only; a halvs addition, keepalived never verifies.
	TLSVerify bool
	CAFile    string
}

// URL is one url block of http_get / ssl_get.
type URL struct {
	Path        string
	StatusCodes []StatusRange // default 200-299
	Digest      string        // lowercase hex MD5 of the body; "" is not checked
	Virtualhost string
	// Regex must match the body (Go's RE2 syntax; "" is not checked), or not with RegexNoMatch;
	// the match starts at or after RegexMinOffset and at or before RegexMaxOffset (nil: anywhere).
	// RegexOptions are keepalived's regex_options (RegexFlags turns them into RE2 flags).
	Regex          string
	RegexNoMatch   bool
	RegexMinOffset int
	RegexMaxOffset *int
	RegexOptions   []string
	Source         Source
}

// StatusRange is an inclusive range of HTTP status codes.
type StatusRange struct{ Min, Max int }

// MiscCheck holds misc_check settings.
type MiscCheck struct {
	Path    Script
	Timeout time.Duration // default the delay_loop
	Dynamic bool
	User    string
	Group   string
}

// DNSCheck holds dns_check settings.
type DNSCheck struct {
	Type string // A NS CNAME SOA MX TXT AAAA; default SOA
	Name string // default "."
}

// UDPCheck holds udp_check settings. Payload and ReplyPattern are hex strings as keepalived
// takes them (X in ReplyPattern ignores a nibble).
type UDPCheck struct {
	Payload        string
	RequireReply   bool
	ReplyPattern   string
	MinReplyLength int
	MaxReplyLength int
}

// FileCheck holds file_check settings.
type FileCheck struct {
	TrackFile string // a track_file name
	Dynamic   bool
	Weight    int
	Reverse   bool
}

// SMTPCheck holds smtp_check settings. Each host block of a smtp_check is a Checker of its own
// (keepalived runs one checker per host); Host is its position, for messages.
type SMTPCheck struct {
	HeloName string // "" : the director's host name
	Host     int    // 0: the smtp_check block itself; n: its n-th host block
}

// VirtualServerGroup is a `virtual_server_group "NAME"` block.
type VirtualServerGroup struct {
	Name    string
	VIPs    []AddrRange
	FWMarks []uint32
	Source  Source
}

// AddrRange is a virtual_server_group vip entry: First..Last inclusive, one port.
type AddrRange struct {
	First, Last netip.Addr
	Port        uint16
	Source      Source
}
