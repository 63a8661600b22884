package lvs

// Kernel.Stats reads the table with its own IPVS_CMD_GET_SERVICE and IPVS_CMD_GET_DEST dumps
// rather than through github.com/moby/ipvs, because moby/ipvs (v1.1.0) parses only the
// kernel's IPVS_SVC_ATTR_STATS and IPVS_DEST_ATTR_STATS: their connection and packet counters
// and their rates are 32-bit, so a busy service's packet counters wrap within hours. The
// kernel sends IPVS_SVC_ATTR_STATS64 and IPVS_DEST_ATTR_STATS64 (every field 64-bit) in the
// same messages; this file parses both and keeps the 64-bit one, the 32-bit one only for a
// kernel that lacks it. It reads just what Stats reports (the object's identity, weight,
// connections and counters), on the Kernel's own socket as syncd_linux.go does.

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"syscall"

	"github.com/vishvananda/netlink/nl"
	"golang.org/x/sys/unix"
)

// From linux/ip_vs.h.
const (
	ipvsCmdGetService = 4
	ipvsCmdGetDest    = 8

	ipvsSvcAttrStats   = 10
	ipvsSvcAttrStats64 = 12

	ipvsDestAttrActiveConns = 7
	ipvsDestAttrInactConns  = 8
	ipvsDestAttrStats       = 10
	ipvsDestAttrAF          = 11
	ipvsDestAttrStats64     = 12

	ipvsStatsAttrConns    = 1
	ipvsStatsAttrInPkts   = 2
	ipvsStatsAttrOutPkts  = 3
	ipvsStatsAttrInBytes  = 4
	ipvsStatsAttrOutBytes = 5
	ipvsStatsAttrCPS      = 6
	ipvsStatsAttrInPPS    = 7
	ipvsStatsAttrOutPPS   = 8
	ipvsStatsAttrInBPS    = 9
	ipvsStatsAttrOutBPS   = 10
)

// Stats implements StatsReader with the kernel's 64-bit counters and rates.
func (k *Kernel) Stats() ([]ServiceStats, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	ans, err := k.execute(k.dumpRequest(ipvsCmdGetService, nil))
	if err != nil {
		return nil, err
	}
	if ans[0].err != nil {
		return nil, fmt.Errorf("lvs: list services: %w", ans[0].err)
	}
	out := make([]ServiceStats, 0, len(ans[0].data))
	for _, m := range ans[0].data {
		ss, err := parseServiceStats(m)
		if err != nil {
			return nil, err
		}
		// One dump per request: a second dump on a socket whose first has not ended yet
		// would be refused (EBUSY), and a long service list spans several reads.
		da, err := k.execute(k.dumpRequest(ipvsCmdGetDest, &ss.Key))
		if err != nil {
			return nil, err
		}
		if da[0].err != nil {
			return nil, fmt.Errorf("lvs: destinations of %s: %w", ss.Key, da[0].err)
		}
		for _, dm := range da[0].data {
			ds, err := parseDestStats(dm, ss.Key.Family)
			if err != nil {
				return nil, fmt.Errorf("lvs: destination of %s: %w", ss.Key, err)
			}
			ss.Destinations = append(ss.Destinations, ds)
		}
		out = append(out, ss)
	}
	return out, nil
}

// dumpRequest is a GET_SERVICE or GET_DEST dump; GET_DEST names its service.
func (k *Kernel) dumpRequest(cmd uint8, svc *ServiceKey) *nl.NetlinkRequest {
	req := nl.NewNetlinkRequest(int(k.family), unix.NLM_F_DUMP)
	req.AddData(&nl.Genlmsg{Command: cmd, Version: ipvsGenlVersion})
	if svc != nil {
		req.AddData(encoded(appendServiceAttr(nil, Service{Key: *svc})))
	}
	return req
}

// encoded is request data appended by batch_encode_linux.go's encoders.
type encoded []byte

func (e encoded) Len() int          { return len(e) }
func (e encoded) Serialize() []byte { return e }

// nestedAttrs are the attributes nested in the first attribute of type typ of a generic
// netlink message (its genlmsghdr first).
func nestedAttrs(msg []byte, typ uint16) ([]syscall.NetlinkRouteAttr, error) {
	if len(msg) < nl.SizeofGenlmsg {
		return nil, fmt.Errorf("lvs: short message (%d bytes)", len(msg))
	}
	attrs, err := nl.ParseRouteAttr(msg[nl.SizeofGenlmsg:])
	if err != nil {
		return nil, fmt.Errorf("lvs: %w", err)
	}
	for _, a := range attrs {
		if attrType(a) == typ {
			inner, err := nl.ParseRouteAttr(a.Value)
			if err != nil {
				return nil, fmt.Errorf("lvs: %w", err)
			}
			return inner, nil
		}
	}
	return nil, fmt.Errorf("lvs: message without attribute %d", typ)
}

// parseServiceStats reads one GET_SERVICE answer: the service's key and counters.
func parseServiceStats(msg []byte) (ServiceStats, error) {
	attrs, err := nestedAttrs(msg, ipvsCmdAttrService)
	if err != nil {
		return ServiceStats{}, err
	}
	var s32, s64 []byte
	for _, a := range attrs {
		switch attrType(a) {
		case ipvsSvcAttrStats:
			s32 = a.Value
		case ipvsSvcAttrStats64:
			s64 = a.Value
		}
	}
	ss := ServiceStats{}
	if ss.Key, err = serviceKeyOf(attrs); err != nil {
		return ServiceStats{}, err
	}
	if ss.Stats, err = pickStats(s32, s64); err != nil {
		return ServiceStats{}, fmt.Errorf("lvs: counters of %s: %w", ss.Key, err)
	}
	return ss, nil
}

// serviceKeyOf reads the key of the service whose IPVS_CMD_ATTR_SERVICE attributes are attrs.
func serviceKeyOf(attrs []syscall.NetlinkRouteAttr) (ServiceKey, error) {
	var (
		fam            Family
		proto, port    uint16
		mark           uint32
		addr           []byte
		okFam, okProto bool
	)
	ne := binary.NativeEndian
	for _, a := range attrs {
		v := a.Value
		switch attrType(a) {
		case ipvsSvcAttrAF:
			if okFam = len(v) >= 2; okFam {
				fam = Family(ne.Uint16(v))
			}
		case ipvsSvcAttrProtocol:
			if okProto = len(v) >= 2; okProto {
				proto = ne.Uint16(v)
			}
		case ipvsSvcAttrAddr:
			addr = v
		case ipvsSvcAttrPort:
			if len(v) >= 2 {
				port = binary.BigEndian.Uint16(v)
			}
		case ipvsSvcAttrFWMark:
			if len(v) >= 4 {
				mark = ne.Uint32(v)
			}
		}
	}
	if !okFam {
		return ServiceKey{}, fmt.Errorf("lvs: service without an address family")
	}
	if mark != 0 {
		return FWMarkKey(mark, fam), nil
	}
	a, err := kernelAddr(addr, fam)
	if err != nil || !okProto {
		return ServiceKey{}, fmt.Errorf("lvs: service with an unreadable address or protocol (%v)", err)
	}
	return NewServiceKey(Protocol(proto), netip.AddrPortFrom(a, port)), nil
}

// destAnswer is what one GET_DEST answer says of a destination. The counters stay raw
// until a reader wants them: fillTunnels does not.
type destAnswer struct {
	DestinationStats // but Stats
	Tunnel           Tunnel
	s32, s64         []byte
}

// parseDest reads one GET_DEST answer. svcFam is the family of a destination whose answer
// names none (kernels before 3.18 have no IPVS_DEST_ATTR_ADDR_FAMILY). Tunnel is zero when
// the kernel sends no tunnel attributes (before Linux 5.2).
func parseDest(msg []byte, svcFam Family) (destAnswer, error) {
	attrs, err := nestedAttrs(msg, ipvsCmdAttrDest)
	if err != nil {
		return destAnswer{}, err
	}
	var (
		d    destAnswer
		fam  = svcFam
		addr []byte
		port uint16
	)
	ne := binary.NativeEndian
	u32 := func(v []byte) uint32 {
		if len(v) < 4 {
			return 0
		}
		return ne.Uint32(v)
	}
	for _, a := range attrs {
		v := a.Value
		switch attrType(a) {
		case ipvsDestAttrAddr:
			addr = v
		case ipvsDestAttrPort:
			if len(v) >= 2 {
				port = binary.BigEndian.Uint16(v)
			}
		case ipvsDestAttrWeight:
			d.Weight = int(u32(v))
		case ipvsDestAttrActiveConns:
			d.ActiveConns = uint64(u32(v))
		case ipvsDestAttrInactConns:
			d.InactiveConns = uint64(u32(v))
		case ipvsDestAttrAF:
			if len(v) >= 2 {
				fam = Family(ne.Uint16(v))
			}
		case ipvsDestAttrStats:
			d.s32 = v
		case ipvsDestAttrStats64:
			d.s64 = v
		case ipvsDestAttrTunType:
			if len(v) >= 1 {
				d.Tunnel.Type = TunnelType(v[0])
			}
		case ipvsDestAttrTunPort:
			if len(v) >= 2 {
				d.Tunnel.Port = binary.BigEndian.Uint16(v)
			}
		case ipvsDestAttrTunFlags:
			if len(v) >= 2 {
				d.Tunnel.Csum = TunnelCsum(ne.Uint16(v))
			}
		}
	}
	a, err := kernelAddr(addr, fam)
	if err != nil {
		return destAnswer{}, err
	}
	d.Addr = netip.AddrPortFrom(a, port)
	if d.Tunnel.Type != TunnelGUE {
		d.Tunnel.Port = 0 // the kernel reports the port it keeps, zero but for GUE
	}
	return d, nil
}

// parseDestStats reads one GET_DEST answer's destination and counters.
func parseDestStats(msg []byte, svcFam Family) (DestinationStats, error) {
	d, err := parseDest(msg, svcFam)
	if err != nil {
		return DestinationStats{}, err
	}
	if d.Stats, err = pickStats(d.s32, d.s64); err != nil {
		return DestinationStats{}, fmt.Errorf("counters of %s: %w", d.Addr, err)
	}
	return d.DestinationStats, nil
}

// attrType is an attribute's type without the nested and byte-order flags.
func attrType(a syscall.NetlinkRouteAttr) uint16 {
	return a.Attr.Type &^ (unix.NLA_F_NESTED | unix.NLA_F_NET_BYTEORDER)
}

// kernelAddr reads an address attribute (union nf_inet_addr: 16 bytes, an IPv4 address in
// the first 4).
func kernelAddr(b []byte, f Family) (netip.Addr, error) {
	switch {
	case f == IPv4 && len(b) >= 4:
		return netip.AddrFrom4([4]byte(b[:4])), nil
	case f == IPv6 && len(b) >= 16:
		return netip.AddrFrom16([16]byte(b[:16])).Unmap(), nil
	}
	return netip.Addr{}, fmt.Errorf("unreadable %s address %x", f, b)
}

// pickStats decodes the 64-bit stats when the kernel sent them, else the 32-bit ones
// (whose byte counters are 64-bit all the same). Neither: zero counters.
func pickStats(s32, s64 []byte) (Stats, error) {
	if s64 != nil {
		return parseStats(s64, true)
	}
	if s32 != nil {
		return parseStats(s32, false)
	}
	return Stats{}, nil
}

// parseStats decodes an IPVS_*_ATTR_STATS64 (wide) or IPVS_*_ATTR_STATS nest. A field of
// the wrong size is an error rather than a silently wrong counter.
func parseStats(b []byte, wide bool) (Stats, error) {
	attrs, err := nl.ParseRouteAttr(b)
	if err != nil {
		return Stats{}, err
	}
	var s Stats
	for _, a := range attrs {
		typ := attrType(a)
		var dst *uint64
		switch typ {
		case ipvsStatsAttrConns:
			dst = &s.Connections
		case ipvsStatsAttrInPkts:
			dst = &s.PacketsIn
		case ipvsStatsAttrOutPkts:
			dst = &s.PacketsOut
		case ipvsStatsAttrInBytes:
			dst = &s.BytesIn
		case ipvsStatsAttrOutBytes:
			dst = &s.BytesOut
		case ipvsStatsAttrCPS:
			dst = &s.Rates.CPS
		case ipvsStatsAttrInPPS:
			dst = &s.Rates.InPPS
		case ipvsStatsAttrOutPPS:
			dst = &s.Rates.OutPPS
		case ipvsStatsAttrInBPS:
			dst = &s.Rates.InBPS
		case ipvsStatsAttrOutBPS:
			dst = &s.Rates.OutBPS
		default:
			continue // IPVS_STATS_ATTR_PAD, or one a newer kernel added
		}
		size := 4
		if wide || typ == ipvsStatsAttrInBytes || typ == ipvsStatsAttrOutBytes {
			size = 8
		}
		if len(a.Value) != size {
			return Stats{}, fmt.Errorf("stats attribute %d has %d bytes, want %d", typ, len(a.Value), size)
		}
		if size == 8 {
			*dst = binary.NativeEndian.Uint64(a.Value)
		} else {
			*dst = uint64(binary.NativeEndian.Uint32(a.Value))
		}
	}
	return s, nil
}
