package config

import (
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"

	"github.com/halvs/halvs/healthcheck"
	"github.com/halvs/halvs/lvs"
)

// canonicalVSKey parses a virtual_server label ("10.10.10.22:80", "[2001:db8::1]:80",
// "fwmark:1", "group:NAME", or a bare address for a persistent all-ports service) and returns
// it in the form VirtualServer.Name gives.
func canonicalVSKey(s string) (string, error) {
	vs, err := parseVSKey(s)
	if err != nil {
		return "", err
	}
	return vs.Name(), nil
}

func parseVSKey(s string) (VirtualServer, error) {
	var vs VirtualServer
	switch {
	case strings.HasPrefix(s, "fwmark:"):
		n, err := strconv.ParseUint(strings.TrimPrefix(s, "fwmark:"), 10, 32)
		if err != nil || n == 0 {
			return vs, fmt.Errorf("%q: a firewall mark is a number from 1 to 4294967295, e.g. \"fwmark:1\"", s)
		}
		vs.FWMark = uint32(n)
	case strings.HasPrefix(s, "group:"):
		vs.Group = strings.TrimPrefix(s, "group:")
		if vs.Group == "" {
			return vs, fmt.Errorf("%q names no virtual_server_group", s)
		}
	default:
		ap, err := parseAddrPort(s, true)
		if err != nil {
			return vs, fmt.Errorf("%v, or \"fwmark:N\", or \"group:NAME\"", err)
		}
		vs.Addr = ap
		vs.Family = familyOf(ap.Addr())
	}
	return vs, nil
}

var vsGroupSchema = schema{attrs: []string{"vip", "fwmark"}}

func (d *decoder) vsGroup(name string, blk *hclsyntax.Block) VirtualServerGroup {
	b := d.open(fmt.Sprintf("virtual_server_group %q", name), blk.Body, blk.DefRange(), vsGroupSchema)
	g := VirtualServerGroup{Name: name, Source: b.src}
	items, _ := b.strings("vip")
	for _, it := range items {
		r, err := parseAddrRange(it.s)
		if err != nil {
			d.errorf(it.r, "vip: %v", err)
			continue
		}
		r.Source = Source{Range: it.r}
		g.VIPs = append(g.VIPs, r)
	}
	marks, _ := b.numbers("fwmark", 1, 1<<32-1)
	for _, m := range marks {
		g.FWMarks = append(g.FWMarks, uint32(m))
	}
	if len(g.VIPs) == 0 && len(g.FWMarks) == 0 && !b.has("vip") && !b.has("fwmark") {
		d.errorf(blk.DefRange(), "virtual_server_group %q is empty; give vip = [\"10.10.10.2:80\", ...] and/or fwmark = [1, ...]", name)
	}
	return g
}

// inherited carries the settings a virtual server passes to its real servers and a real
// server to its checkers. nil pointers mean "not set anywhere yet": the checker kind's own
// default then applies.
type inherited struct {
	connectTimeout   *time.Duration
	delayBeforeRetry *time.Duration
	warmup           *time.Duration
	retry            *int
	delayLoop        time.Duration
	alpha            bool
	inhibit          bool
	virtualhost      string
	method           Method
}

// read overrides the inherited settings with those set in this block.
func (in inherited) read(b *block) inherited {
	// The has checks spare a heap allocation per keyword and block (v and r escape) when the
	// keyword is absent, as it is in most real servers; duration and integer say nothing then.
	opt := func(name string, p **time.Duration) {
		if !b.has(name) {
			return
		}
		var v time.Duration
		if b.duration(name, &v) {
			*p = &v
		}
	}
	opt("connect_timeout", &in.connectTimeout)
	opt("delay_before_retry", &in.delayBeforeRetry)
	opt("warmup", &in.warmup)
	if b.has("retry") {
		var r int
		if b.integer("retry", &r, 0, 1000) {
			in.retry = &r
		}
	}
	if b.duration("delay_loop", &in.delayLoop) && in.delayLoop < 10*time.Millisecond {
		b.errorf("delay_loop", "delay_loop must be at least 10ms")
	}
	b.boolean("alpha", &in.alpha)
	b.boolean("inhibit_on_failure", &in.inhibit)
	b.str("virtualhost", &in.virtualhost)
	return in
}

var inheritedAttrs = []string{"connect_timeout", "delay_before_retry", "warmup", "retry", "delay_loop",
	"alpha", "inhibit_on_failure", "virtualhost"}

var virtualServerSchema = schema{
	attrs: append([]string{"protocol", "lvs_sched", "lb_algo", "lvs_method", "lb_kind", "flag-1", "flag-2", "flag-3",
		"sh-port", "sh-fallback", "mh-port", "mh-fallback", "ops", "persistence_timeout", "persistence_granularity",
		"quorum", "hysteresis", "quorum_up", "quorum_down", "sorry_server", "sorry_server_inhibit",
		"sorry_server_lvs_method", "omega", "ha_suspend", "ip_family", "hashed", "persistence_engine"}, inheritedAttrs...),
	blocks: []string{"real_server"},
}

func (d *decoder) virtualServer(key string, blk *hclsyntax.Block) (VirtualServer, bool) {
	vs, err := parseVSKey(key)
	what := fmt.Sprintf("virtual_server %q", vs.Name())
	if err != nil {
		// The body is still decoded, under the label as written, so that its own mistakes
		// are reported in the same run; the virtual server itself is left out.
		d.errorf(blk.LabelRanges[0], "virtual_server %v", err)
		vs, what = VirtualServer{}, fmt.Sprintf("virtual_server %q", key)
	}
	b := d.open(what, blk.Body, blk.DefRange(), virtualServerSchema)
	vs.Source = b.src
	vs.Protocol, vs.Scheduler, vs.Method, vs.Quorum = ProtocolUDP, SchedWLC, MethodNAT, 1
	var s string
	if b.str("protocol", &s) {
		if p := Protocol(s); p == ProtocolTCP || p == ProtocolUDP || p == ProtocolSCTP {
			vs.Protocol = p
		} else {
			b.errorf("protocol", "protocol must be \"TCP\", \"UDP\" or \"SCTP\", not %q%s", s, suggestValue(s, []string{"TCP", "UDP", "SCTP"}))
		}
	} else if !b.has("protocol") && vs.FWMark == 0 {
		d.warnf(blk.DefRange(), "%s has no protocol; keepalived's default UDP applies (write protocol = \"TCP\" if that is what you meant)", what)
	}
	if name := b.synonym("lvs_sched", "lb_algo"); b.str(name, &s) {
		if slices.Contains(schedulers, Scheduler(s)) {
			vs.Scheduler = Scheduler(s)
		} else {
			b.errorf(name, "%s %q is not an IPVS scheduler; use one of %s%s", name, s, strings.Join(schedNames(), " "), suggestValue(s, schedNames()))
		}
	}
	vs.Method, vs.Tunnel = b.method(b.synonym("lvs_method", "lb_kind"), MethodNAT, Tunnel{})
	vs.SorryServerMethod, vs.SorryServerTunnel = b.method("sorry_server_lvs_method", vs.Method, vs.Tunnel)
	b.schedFlags(&vs)
	b.boolean("ops", &vs.OPS)
	if vs.OPS && vs.Protocol != ProtocolUDP {
		b.errorf("ops", "ops (one-packet scheduling) applies to UDP services only")
	}
	if b.has("persistence_timeout") {
		switch {
		case !b.duration("persistence_timeout", &vs.PersistenceTimeout):
		case vs.PersistenceTimeout%time.Second != 0:
			b.errorf("persistence_timeout", "persistence_timeout must be whole seconds (keepalived's bare persistence_timeout is 360)")
		case vs.PersistenceTimeout > MaxLVSTimeout:
			b.errorf("persistence_timeout", "persistence_timeout must be at most %d seconds (31 days, keepalived's limit)", int(MaxLVSTimeout/time.Second))
			vs.PersistenceTimeout = 0
		}
	}
	b.persistenceEngine(&vs)
	b.quorum(&vs)
	b.script("quorum_up", &vs.QuorumUp)
	b.script("quorum_down", &vs.QuorumDown)
	b.noEffect("sorry_server_inhibit", "the sorry server is added with its weight and removed when quorum returns")
	b.boolean("omega", &vs.Omega)
	b.noEffect("ha_suspend", "checkers run whether or not this director holds the VIP")
	b.noEffect("hashed", "the kernel hashes every IPVS service itself (and ignores the flag from userspace)")
	in := inherited{delayLoop: 60 * time.Second, method: vs.Method}.read(b)
	vs.DelayLoop, vs.Alpha, vs.InhibitOnFailure, vs.Virtualhost = in.delayLoop, in.alpha, in.inhibit, in.virtualhost
	if b.str("sorry_server", &s) {
		if vs.SorryServer, err = parseAddrPort(s, true); err != nil {
			b.errorf("sorry_server", "sorry_server: %v", err)
		} else if vs.SorryServer.Port() == 0 {
			vs.SorryServer = netip.AddrPortFrom(vs.SorryServer.Addr(), vs.Addr.Port())
		}
	}
	if b.str("ip_family", &s) {
		switch {
		case vs.FWMark == 0 && vs.Group == "":
			b.errorf("ip_family", "ip_family applies to fwmark virtual servers and groups only; the address already gives the family")
		case s == "inet":
			vs.Family = IPv4
		case s == "inet6":
			vs.Family = IPv6
		default:
			b.errorf("ip_family", "ip_family must be \"inet\" or \"inet6\", not %q", s)
		}
	}
	n := 0
	for _, rb := range b.body.Blocks {
		if rb.Type == "real_server" {
			n++
		}
	}
	if n > 0 { // nil stays nil for a virtual server without real servers
		vs.RealServers = make([]RealServer, 0, n) // append alone copies each real server about twice
	}
	for _, rb := range b.body.Blocks {
		if rb.Type != "real_server" {
			continue
		}
		if rkey, ok := d.label(rb, `"10.10.10.31:80"`); ok {
			if rs, ok := d.realServer(rkey, rb, &vs, in); ok {
				vs.RealServers = append(vs.RealServers, rs)
			}
		}
	}
	if (vs.FWMark != 0 || vs.Group != "") && vs.Family == FamilyUnspec {
		// keepalived's default; validate checks it against the real servers, and a group's
		// addresses, when it has any, decide instead
		vs.Family = IPv4
		for _, rs := range vs.RealServers {
			vs.Family = familyOf(rs.Addr.Addr())
			break
		}
	}
	b.persistenceGranularity(&vs)
	if vs.Addr.IsValid() && vs.Addr.Port() == 0 && vs.PersistenceTimeout == 0 {
		d.errorf(blk.LabelRanges[0], "%s has no port; only a persistent service (persistence_timeout) may omit it", what)
	}
	return vs, err == nil
}

func schedNames() []string {
	var out []string
	for _, s := range schedulers {
		out = append(out, string(s))
	}
	return out
}

// method reads a forwarding method and its tunnel (tunnel.go); absent, the defaults apply.
func (b *block) method(name string, def Method, defTun Tunnel) (Method, Tunnel) {
	var s string
	if !b.str(name, &s) {
		return def, defTun
	}
	m, t, err := parseMethod(s)
	if err != nil {
		b.errorf(name, "%s %v", name, err)
		return def, defTun
	}
	return m, t
}

// schedFlags maps flag-N and the sh-/mh- names, which are the same bits, and refuses the
// scheduler-specific names with another scheduler.
func (b *block) schedFlags(vs *VirtualServer) {
	b.boolean("flag-1", &vs.SchedFlags.Flag1)
	b.boolean("flag-2", &vs.SchedFlags.Flag2)
	b.boolean("flag-3", &vs.SchedFlags.Flag3)
	for _, f := range []struct {
		name  string
		sched Scheduler
		bit   *bool
	}{{"sh-fallback", SchedSH, &vs.SchedFlags.Flag1}, {"sh-port", SchedSH, &vs.SchedFlags.Flag2},
		{"mh-fallback", SchedMH, &vs.SchedFlags.Flag1}, {"mh-port", SchedMH, &vs.SchedFlags.Flag2}} {
		var on bool
		if !b.boolean(f.name, &on) || !on {
			continue
		}
		if vs.Scheduler != f.sched {
			b.errorf(f.name, "%s applies to lvs_sched %q only, not %q", f.name, f.sched, vs.Scheduler)
			continue
		}
		*f.bit = true
	}
}

// persistenceEngine reads persistence_engine. The kernel has one persistence engine, sip
// (ip_vs_pe_sip: persistence by SIP Call-ID); another name would fail when programmed.
func (b *block) persistenceEngine(vs *VirtualServer) {
	if !b.has("persistence_engine") || !b.str("persistence_engine", &vs.PersistenceEngine) {
		return
	}
	switch {
	case vs.PersistenceEngine != "sip":
		b.errorf("persistence_engine", "persistence_engine must be \"sip\" (the kernel's only persistence engine), not %q", vs.PersistenceEngine)
		vs.PersistenceEngine = ""
	case vs.PersistenceTimeout == 0:
		b.warnf("persistence_engine", "persistence_engine has no effect without persistence_timeout")
	}
}

func (b *block) quorum(vs *VirtualServer) {
	b.integer("quorum", &vs.Quorum, 1, 1<<30)
	if b.integer("hysteresis", &vs.Hysteresis, 0, 1<<30) && vs.Hysteresis >= vs.Quorum {
		b.errorf("hysteresis", "hysteresis %d must be less than quorum %d (quorum is lost below quorum-hysteresis)", vs.Hysteresis, vs.Quorum)
	}
}

// persistenceGranularity reads a netmask ("255.255.255.0"), a prefix length (24 or "/24").
func (b *block) persistenceGranularity(vs *VirtualServer) {
	bits := 32
	if vs.Family == IPv6 {
		bits = 128
	}
	vs.PersistenceGranularity = bits
	if !b.has("persistence_granularity") {
		return
	}
	v, ok := b.value("persistence_granularity")
	if !ok {
		return
	}
	var s string
	if v.Type() == cty.Number {
		s = numString(v)
	} else if !b.str("persistence_granularity", &s) {
		return
	}
	n, err := parseGranularity(strings.TrimPrefix(s, "/"), bits)
	if err != nil {
		b.errorf("persistence_granularity", "persistence_granularity: %v", err)
		return
	}
	vs.PersistenceGranularity = n
	if vs.PersistenceTimeout == 0 {
		b.warnf("persistence_granularity", "persistence_granularity has no effect without persistence_timeout")
	}
}

func parseGranularity(s string, bits int) (int, error) {
	if n, err := strconv.Atoi(s); err == nil && n >= 1 && n <= bits {
		return n, nil
	}
	if m, err := netip.ParseAddr(s); err == nil && m.Is4() && bits == 32 {
		b := m.As4()
		v := uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
		n := 0
		for v&0x80000000 != 0 {
			n, v = n+1, v<<1
		}
		if v == 0 && n > 0 {
			return n, nil
		}
	}
	return 0, fmt.Errorf("%q is not a netmask such as \"255.255.255.0\" or a prefix length from 1 to %d", s, bits)
}

var realServerSchema = schema{
	attrs:  append([]string{"weight", "lvs_method", "lb_kind", "notify_up", "notify_down", "uthreshold", "lthreshold"}, inheritedAttrs...),
	blocks: checkerBlocks(),
}

func (d *decoder) realServer(key string, blk *hclsyntax.Block, vs *VirtualServer, in inherited) (RealServer, bool) {
	ap, err := parseAddrPort(key, true)
	if err != nil {
		d.errorf(blk.LabelRanges[0], "real_server %v", err)
		return RealServer{}, false
	}
	if ap.Port() == 0 {
		ap = netip.AddrPortFrom(ap.Addr(), vs.Addr.Port()) // keepalived: the virtual server's port
	}
	what := "real_server " + strconv.Quote(ap.String()) // fmt's %q, without fmt's cost per real server
	b := d.open(what, blk.Body, blk.DefRange(), realServerSchema)
	rs := RealServer{Addr: ap, Weight: 1, Source: b.src}
	b.integer("weight", &rs.Weight, 0, lvs.MaxWeight)
	rs.Method, rs.Tunnel = b.method(b.synonym("lvs_method", "lb_kind"), vs.Method, vs.Tunnel)
	b.script("notify_up", &rs.NotifyUp)
	b.script("notify_down", &rs.NotifyDown)
	b.integer("uthreshold", &rs.UThreshold, 0, 1<<31-1)
	if b.integer("lthreshold", &rs.LThreshold, 0, 1<<31-1) && rs.UThreshold > 0 && rs.LThreshold >= rs.UThreshold {
		b.errorf("lthreshold", "lthreshold %d must be below uthreshold %d (IPVS resumes sending at lthreshold after stopping at uthreshold)", rs.LThreshold, rs.UThreshold)
	}
	in = in.read(b)
	rs.InhibitOnFailure, rs.Alpha, rs.DelayLoop, rs.Virtualhost = in.inhibit, in.alpha, in.delayLoop, in.virtualhost
	for _, blk := range b.body.Blocks {
		if contains(realServerSchema.blocks, blk.Type) {
			if len(blk.Labels) > 0 {
				d.errorf(blk.LabelRanges[0], "%s blocks take no name: write %s { ... }", blk.Type, blk.Type)
				continue
			}
			rs.Checkers = append(rs.Checkers, d.checkers(healthcheck.Kind(strings.ToUpper(blk.Type)), blk, rs, in)...)
		}
	}
	return rs, true
}
