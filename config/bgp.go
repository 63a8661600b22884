package config

import (
	"fmt"
	"net/netip"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// BGP is the `bgp` block: the embedded BGP speaker an active-active director announces its
// bgp_announce prefixes with. keepalived has no BGP; the names follow GoBGP's and BIRD's.
type BGP struct {
	ASN uint32 // asn: this director's autonomous system
	// RouterID is router_id; invalid means the first IPv4 address of the host.
	RouterID netip.Addr
	// ListenPort is listen_port, where the speaker accepts sessions the routers open; 0:
	// it only connects out. Default DefaultBGPListenPort.
	ListenPort int
	// Interface is the dummy interface halvs creates for the announced addresses, so that
	// IPVS accepts their traffic and ARP never answers for them. Default DefaultBGPInterface.
	Interface string
	Neighbors []BGPNeighbor
	Source    Source
}

// BGPNeighbor is a `neighbor "ADDR"` block inside bgp: one router to peer with.
type BGPNeighbor struct {
	Addr    netip.Addr
	PeerASN uint32 // peer_asn
	// HoldTime is hold_time: the session is down after this long without a message from
	// the peer (keepalive = hold_time / 3). Default DefaultBGPHoldTime; at least 3 s.
	HoldTime time.Duration
	// ConnectRetry is connect_retry: the wait before a failed session is tried again.
	ConnectRetry time.Duration
	Port         int        // port: the peer's TCP port, default 179
	LocalAddress netip.Addr // local_address: the session's source; invalid: the kernel picks
	Source       Source
}

// BGPAnnounce is a `bgp_announce "NAME"` block: prefixes announced while every tracked
// virtual server has its quorum.
type BGPAnnounce struct {
	Name     string
	Prefixes []netip.Prefix // host routes: /32 or /128
	// TrackVirtualServers are the track_virtual_server entries, each a virtual_server's
	// label in canonical form (VirtualServer.Name()).
	TrackVirtualServers []string
	// DrainTime is drain_time: on stop or `halvs drain`, how long halvs waits after the
	// withdrawal for established connections to finish or move. Default DefaultBGPDrainTime.
	DrainTime time.Duration
	Source    Source
}

// BGP defaults.
const (
	DefaultBGPHoldTime     = 90 * time.Second // RFC 4271's suggestion, GoBGP's default
	MinBGPHoldTime         = 3 * time.Second  // RFC 4271: 0 or at least 3 s (halvs refuses 0)
	DefaultBGPConnectRetry = 5 * time.Second
	DefaultBGPDrainTime    = 5 * time.Second
	DefaultBGPListenPort   = 179
	DefaultBGPInterface    = "halvs0"
	// asTrans is AS 23456, the placeholder 2-byte speakers see for a 4-byte AS (RFC 6793);
	// no speaker may use it as its own.
	asTrans = 23456
)

var (
	bgpSchema         = schema{attrs: []string{"asn", "router_id", "listen_port", "interface"}, blocks: []string{"neighbor"}}
	bgpNeighborSchema = schema{attrs: []string{"peer_asn", "hold_time", "connect_retry", "port", "local_address"}}
	bgpAnnounceSchema = schema{attrs: []string{"prefixes", "track_virtual_server", "drain_time"}}
)

// bgp decodes the bgp block.
func (d *decoder) bgp(blk *hclsyntax.Block) *BGP {
	if len(blk.Labels) > 0 {
		d.errorf(blk.LabelRanges[0], "bgp takes no name: write bgp { ... }")
	}
	b := d.open("bgp", blk.Body, blk.DefRange(), bgpSchema)
	g := &BGP{ListenPort: DefaultBGPListenPort, Interface: DefaultBGPInterface, Source: b.src}
	if !b.asn("asn", &g.ASN) && !b.has("asn") {
		d.errorf(blk.DefRange(), "bgp needs asn, this director's autonomous system number, e.g. asn = 65010")
	}
	var s string
	if b.str("router_id", &s) {
		a, err := parseAddr(s)
		if err != nil || !a.Is4() {
			b.errorf("router_id", "router_id %q must be an IPv4 address (BGP's 32-bit identifier), e.g. \"10.0.0.11\"", s)
		} else {
			g.RouterID = a
		}
	}
	b.integer("listen_port", &g.ListenPort, 0, 65535)
	if b.str("interface", &g.Interface) {
		if err := checkIfName(g.Interface); err != nil {
			b.errorf("interface", "interface: %v", err)
		}
	}
	seen := map[netip.Addr]hcl.Range{}
	for _, nb := range blk.Body.Blocks {
		if nb.Type != "neighbor" {
			continue
		}
		label, ok := d.label(nb, `"10.0.0.1"`)
		if !ok {
			continue
		}
		n, ok := d.bgpNeighbor(label, nb)
		if !ok {
			continue
		}
		if first, dup := seen[n.Addr]; dup {
			d.errorf(nb.LabelRanges[0], "neighbor %s is defined twice in bgp (first at %s)", n.Addr, short(first))
			continue
		}
		seen[n.Addr] = nb.LabelRanges[0]
		g.Neighbors = append(g.Neighbors, n)
	}
	if len(g.Neighbors) == 0 && len(blk.Body.Blocks) == 0 {
		d.warnf(blk.DefRange(), "bgp has no neighbor: nothing is announced")
	}
	return g
}

func (d *decoder) bgpNeighbor(label string, blk *hclsyntax.Block) (BGPNeighbor, bool) {
	a, err := parseAddr(label)
	if err != nil {
		d.errorf(blk.LabelRanges[0], "neighbor: %v", err)
		return BGPNeighbor{}, false
	}
	b := d.open(fmt.Sprintf("neighbor %q", label), blk.Body, blk.DefRange(), bgpNeighborSchema)
	n := BGPNeighbor{Addr: a, HoldTime: DefaultBGPHoldTime, ConnectRetry: DefaultBGPConnectRetry, Port: 179, Source: b.src}
	if !b.asn("peer_asn", &n.PeerASN) && !b.has("peer_asn") {
		d.errorf(blk.DefRange(), "neighbor %s needs peer_asn, the router's autonomous system number, e.g. peer_asn = 65000", a)
	}
	if b.duration("hold_time", &n.HoldTime) {
		switch {
		case n.HoldTime < MinBGPHoldTime:
			b.errorf("hold_time", "hold_time must be at least %v (BGP's least hold time; 0, no hold timer, would never notice a dead peer), not %v", MinBGPHoldTime, n.HoldTime)
		case n.HoldTime > 65535*time.Second:
			b.errorf("hold_time", "hold_time must be at most 65535 s (BGP's 16-bit field), not %v", n.HoldTime)
		case n.HoldTime%time.Second != 0:
			b.errorf("hold_time", "hold_time is whole seconds on the wire, not %v", n.HoldTime)
		}
	}
	if b.duration("connect_retry", &n.ConnectRetry) && (n.ConnectRetry < time.Second || n.ConnectRetry%time.Second != 0) {
		b.errorf("connect_retry", "connect_retry must be a whole number of seconds, at least 1, not %v", n.ConnectRetry)
	}
	b.integer("port", &n.Port, 1, 65535)
	var s string
	if b.str("local_address", &s) {
		la, err := parseAddr(s)
		switch {
		case err != nil:
			b.errorf("local_address", "local_address: %v", err)
		case familyOf(la) != familyOf(a):
			b.errorf("local_address", "local_address %s is %s but neighbor %s is %s", la, familyOf(la), a, familyOf(a))
		default:
			n.LocalAddress = la
		}
	}
	return n, true
}

// asn reads an autonomous system number: 1 to 4294967294, not 23456 (AS_TRANS).
func (b *block) asn(name string, dst *uint32) bool {
	var n int
	if !b.integer(name, &n, 1, 4294967294) {
		return false
	}
	if n == asTrans {
		b.errorf(name, "%s 23456 is AS_TRANS, reserved for 2-byte speakers (RFC 6793); use the real AS number", name)
		return false
	}
	*dst = uint32(n)
	return true
}

// bgpAnnounce decodes one bgp_announce block. Whether its tracked virtual servers exist is
// validateBGP's.
func (d *decoder) bgpAnnounce(name string, blk *hclsyntax.Block) BGPAnnounce {
	b := d.open(fmt.Sprintf("bgp_announce %q", name), blk.Body, blk.DefRange(), bgpAnnounceSchema)
	a := BGPAnnounce{Name: name, DrainTime: DefaultBGPDrainTime, Source: b.src}
	items, _ := b.strings("prefixes")
	var ranges []hcl.Range
	for _, it := range items {
		p, err := parsePrefixOrAddr(it.s)
		if err != nil {
			d.errorf(it.r, "prefixes: %v", err)
			continue
		}
		if !p.IsSingleIP() {
			d.errorf(it.r, "prefixes: %s is not a host route; announce each virtual address alone, as %s/%d", p, p.Addr(), p.Addr().BitLen())
			continue
		}
		if i := indexPrefix(a.Prefixes, p); i >= 0 {
			d.errorf(it.r, "prefixes: %s is listed twice", p)
			continue
		}
		a.Prefixes = append(a.Prefixes, p)
		ranges = append(ranges, it.r)
	}
	a.Source.setEntries("prefixes", ranges)
	if len(a.Prefixes) == 0 && !b.has("prefixes") {
		d.errorf(blk.DefRange(), "bgp_announce %q needs prefixes, e.g. prefixes = [\"10.10.10.22/32\"]", name)
	}
	items, _ = b.strings("track_virtual_server")
	ranges = nil
	for _, it := range items {
		key, err := canonicalVSKey(it.s)
		if err != nil {
			d.errorf(it.r, "track_virtual_server entry %q: %v", it.s, err)
			continue
		}
		a.TrackVirtualServers = append(a.TrackVirtualServers, key)
		ranges = append(ranges, it.r)
	}
	a.Source.setEntries("track_virtual_server", ranges)
	b.duration("drain_time", &a.DrainTime)
	return a
}

func indexPrefix(list []netip.Prefix, p netip.Prefix) int {
	for i, q := range list {
		if q == p {
			return i
		}
	}
	return -1
}

// validateBGP checks what spans blocks: bgp_announce without bgp, tracked virtual servers
// that do not exist, a prefix announced twice, a prefix no virtual server serves.
func validateBGP(d *decoder, cfg *Config) {
	if len(cfg.BGPAnnounces) > 0 && cfg.BGP == nil {
		d.errorf(cfg.BGPAnnounces[0].Source.Range, "bgp_announce %q needs a bgp block (asn and neighbors) to announce with", cfg.BGPAnnounces[0].Name)
	}
	served := func(a netip.Addr) bool {
		for i := range cfg.VirtualServers {
			vs := &cfg.VirtualServers[i]
			if vs.Addr.IsValid() && vs.Addr.Addr() == a {
				return true
			}
			if g := cfg.Group(vs.Group); g != nil {
				for _, r := range g.VIPs {
					last := r.Last
					if !last.IsValid() {
						last = r.First
					}
					if !a.Less(r.First) && !last.Less(a) {
						return true
					}
				}
			}
		}
		return false
	}
	owner := map[netip.Prefix]string{}
	for _, a := range cfg.BGPAnnounces {
		for i, name := range a.TrackVirtualServers {
			if cfg.VirtualServer(name, "") == nil {
				d.errorf(a.Source.Entry("track_virtual_server", i), "track_virtual_server %q names no virtual_server", name)
			}
		}
		for i, p := range a.Prefixes {
			r := a.Source.Entry("prefixes", i)
			if other, dup := owner[p]; dup {
				d.errorf(r, "prefix %s is already announced by bgp_announce %q; a prefix belongs to one bgp_announce", p, other)
				continue
			}
			owner[p] = a.Name
			if !served(p.Addr()) {
				d.warnf(r, "prefix %s is no virtual_server's address: the router will send its traffic here, and only a firewall-mark service can take it", p)
			}
		}
	}
}
