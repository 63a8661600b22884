package lvs

import (
	"encoding/binary"
	"net/netip"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/vishvananda/netlink/nl"
	"golang.org/x/sys/unix"
)

// The messages below are built with vishvananda/netlink's attribute builder, as the kernel
// lays them out (ip_vs_genl_fill_service, ip_vs_genl_fill_dest, ip_vs_genl_fill_stats and
// ip_vs_genl_fill_stats64), independently of the parser under test.

func u16(v uint16) []byte { return binary.NativeEndian.AppendUint16(nil, v) }
func u32(v uint32) []byte { return binary.NativeEndian.AppendUint32(nil, v) }
func u64(v uint64) []byte { return binary.NativeEndian.AppendUint64(nil, v) }

// stats32 is an IPVS_*_ATTR_STATS nest: 32-bit counters and rates, 64-bit bytes. Values
// above 32 bits are cut as the kernel cuts them.
func stats32(typ int, s Stats) *nl.RtAttr {
	a := nl.NewRtAttr(typ, nil)
	a.AddRtAttr(ipvsStatsAttrConns, u32(uint32(s.Connections)))
	a.AddRtAttr(ipvsStatsAttrInPkts, u32(uint32(s.PacketsIn)))
	a.AddRtAttr(ipvsStatsAttrOutPkts, u32(uint32(s.PacketsOut)))
	a.AddRtAttr(ipvsStatsAttrInBytes, u64(s.BytesIn))
	a.AddRtAttr(ipvsStatsAttrOutBytes, u64(s.BytesOut))
	a.AddRtAttr(ipvsStatsAttrCPS, u32(uint32(s.Rates.CPS)))
	a.AddRtAttr(ipvsStatsAttrInPPS, u32(uint32(s.Rates.InPPS)))
	a.AddRtAttr(ipvsStatsAttrOutPPS, u32(uint32(s.Rates.OutPPS)))
	a.AddRtAttr(ipvsStatsAttrInBPS, u32(uint32(s.Rates.InBPS)))
	a.AddRtAttr(ipvsStatsAttrOutBPS, u32(uint32(s.Rates.OutBPS)))
	return a
}

// stats64 is an IPVS_*_ATTR_STATS64 nest, with the padding attribute
// (IPVS_STATS_ATTR_PAD) nla_put_u64_64bit may insert.
func stats64(typ int, s Stats) *nl.RtAttr {
	a := nl.NewRtAttr(typ, nil)
	a.AddRtAttr(11, nil) // IPVS_STATS_ATTR_PAD
	for i, v := range []uint64{s.Connections, s.PacketsIn, s.PacketsOut, s.BytesIn, s.BytesOut,
		s.Rates.CPS, s.Rates.InPPS, s.Rates.OutPPS, s.Rates.InBPS, s.Rates.OutBPS} {
		a.AddRtAttr(i+1, u64(v))
	}
	return a
}

// genlMessage is a generic-netlink payload: genlmsghdr, then one attribute.
func genlMessage(a *nl.RtAttr) []byte {
	return append([]byte{ipvsCmdGetService, ipvsGenlVersion, 0, 0}, a.Serialize()...)
}

type svcAttrs struct {
	key      ServiceKey
	s32, s64 *Stats
}

func serviceMessage(sa svcAttrs) []byte {
	svc := nl.NewRtAttr(ipvsCmdAttrService, nil)
	svc.AddRtAttr(ipvsSvcAttrAF, u16(uint16(sa.key.Family)))
	if sa.key.FWMark != 0 {
		svc.AddRtAttr(ipvsSvcAttrFWMark, u32(sa.key.FWMark))
	} else {
		svc.AddRtAttr(ipvsSvcAttrProtocol, u16(uint16(sa.key.Protocol)))
		a16 := sa.key.Addr.Addr().As16()
		if sa.key.Family == IPv4 {
			a4 := sa.key.Addr.Addr().As4()
			a16 = [16]byte{}
			copy(a16[:], a4[:]) // union nf_inet_addr: IPv4 in the first 4 bytes
		}
		svc.AddRtAttr(ipvsSvcAttrAddr, a16[:])
		svc.AddRtAttr(ipvsSvcAttrPort, binary.BigEndian.AppendUint16(nil, sa.key.Addr.Port()))
	}
	svc.AddRtAttr(ipvsSvcAttrSchedName, nl.ZeroTerminated("wrr"))
	if sa.s32 != nil {
		svc.AddChild(stats32(ipvsSvcAttrStats, *sa.s32))
	}
	svc.AddRtAttr(11, nl.ZeroTerminated("sip")) // IPVS_SVC_ATTR_PE_NAME
	if sa.s64 != nil {
		svc.AddChild(stats64(ipvsSvcAttrStats64, *sa.s64))
	}
	return genlMessage(svc)
}

type destAttrs struct {
	addr     netip.AddrPort
	noAF     bool // a kernel before 3.18
	weight   uint32
	act, ina uint32
	s32, s64 *Stats
}

func destMessage(da destAttrs) []byte {
	d := nl.NewRtAttr(ipvsCmdAttrDest, nil)
	a16 := da.addr.Addr().As16()
	if da.addr.Addr().Is4() {
		a4 := da.addr.Addr().As4()
		a16 = [16]byte{}
		copy(a16[:], a4[:])
	}
	d.AddRtAttr(ipvsDestAttrAddr, a16[:])
	d.AddRtAttr(ipvsDestAttrPort, binary.BigEndian.AppendUint16(nil, da.addr.Port()))
	d.AddRtAttr(ipvsDestAttrFwdMethod, u32(uint32(DR)))
	d.AddRtAttr(ipvsDestAttrWeight, u32(da.weight))
	d.AddRtAttr(ipvsDestAttrActiveConns, u32(da.act))
	d.AddRtAttr(ipvsDestAttrInactConns, u32(da.ina))
	d.AddRtAttr(9, u32(0)) // IPVS_DEST_ATTR_PERSIST_CONNS
	if da.s32 != nil {
		d.AddChild(stats32(ipvsDestAttrStats, *da.s32))
	}
	if !da.noAF {
		f := IPv4
		if !da.addr.Addr().Is4() {
			f = IPv6
		}
		d.AddRtAttr(ipvsDestAttrAF, u16(uint16(f)))
	}
	if da.s64 != nil {
		d.AddChild(stats64(ipvsDestAttrStats64, *da.s64))
	}
	return genlMessage(d)
}

// big has counters past 32 bits, as a busy service has after a few hours.
var big = Stats{Connections: 5<<32 + 7, PacketsIn: 9<<32 + 1, PacketsOut: 3<<32 + 2, BytesIn: 1 << 45, BytesOut: 1<<44 + 3,
	Rates: Rates{CPS: 1200, InPPS: 5 << 32, OutPPS: 40000, InBPS: 7 << 33, OutBPS: 1 << 30}}

func TestParseServiceStats(t *testing.T) {
	small := Stats{Connections: 10, PacketsIn: 40, PacketsOut: 30, BytesIn: 4000, BytesOut: 3000,
		Rates: Rates{CPS: 1, InPPS: 4, OutPPS: 3, InBPS: 400, OutBPS: 300}}
	web := NewServiceKey(TCP, netip.MustParseAddrPort("10.10.10.22:80"))
	tests := []struct {
		name string
		in   svcAttrs
		want ServiceStats
	}{
		{"both: the 64-bit ones win", svcAttrs{key: web, s32: &big, s64: &big}, ServiceStats{Key: web, Stats: big}},
		{"only 32-bit (an old kernel)", svcAttrs{key: web, s32: &small}, ServiceStats{Key: web, Stats: small}},
		{"no stats", svcAttrs{key: web}, ServiceStats{Key: web}},
		{"IPv6", svcAttrs{key: NewServiceKey(UDP, netip.MustParseAddrPort("[2001:db8::22]:53")), s64: &small},
			ServiceStats{Key: NewServiceKey(UDP, netip.MustParseAddrPort("[2001:db8::22]:53")), Stats: small}},
		{"firewall mark", svcAttrs{key: FWMarkKey(7, IPv6), s32: &small, s64: &small}, ServiceStats{Key: FWMarkKey(7, IPv6), Stats: small}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseServiceStats(serviceMessage(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got, equateNet); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseDestStats(t *testing.T) {
	rs := netip.MustParseAddrPort("10.10.10.31:80")
	rs6 := netip.MustParseAddrPort("[2001:db8::31]:8080")
	tests := []struct {
		name   string
		in     destAttrs
		svcFam Family
		want   DestinationStats
	}{
		{"both", destAttrs{addr: rs, weight: 3, act: 4, ina: 70000, s32: &big, s64: &big}, IPv4,
			DestinationStats{Addr: rs, Weight: 3, ActiveConns: 4, InactiveConns: 70000, Stats: big}},
		{"IPv6 without the family attribute", destAttrs{addr: rs6, noAF: true, weight: 1, s64: &big}, IPv6,
			DestinationStats{Addr: rs6, Weight: 1, Stats: big}},
		{"IPv6 destination of an IPv4 fwmark service", destAttrs{addr: rs6, weight: 2}, IPv4,
			DestinationStats{Addr: rs6, Weight: 2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseDestStats(destMessage(tt.in), tt.svcFam)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got, equateNet); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseStatsRefusesOddSizes(t *testing.T) {
	bad := nl.NewRtAttr(ipvsSvcAttrStats64, nil)
	bad.AddRtAttr(ipvsStatsAttrConns, u32(5)) // 4 bytes where STATS64 has 8
	svc := nl.NewRtAttr(ipvsCmdAttrService, nil)
	svc.AddRtAttr(ipvsSvcAttrAF, u16(unix.AF_INET))
	svc.AddRtAttr(ipvsSvcAttrFWMark, u32(1))
	svc.AddChild(bad)
	if got, err := parseServiceStats(genlMessage(svc)); err == nil {
		t.Errorf("parseServiceStats = %+v, want an error for a 4-byte STATS64 counter", got)
	}
	if got, err := parseServiceStats([]byte{4, 1}); err == nil {
		t.Errorf("parseServiceStats(short) = %+v, want an error", got)
	}
}
