package lvs

import (
	"encoding/binary"
	"encoding/hex"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/moby/ipvs"
	"github.com/vishvananda/netlink/nl"
	"golang.org/x/sys/unix"
)

// refMessage is the batch encoder this file pins appendIPVSMessage against (the one it
// replaced): o built with vishvananda/netlink's attribute tree from toMobyService and
// toMobyDest, as moby/ipvs' own fillService and fillDestination build its requests.
func refMessage(family uint16, o Op, flags int, seq uint32) []byte {
	cmd := map[OpKind]uint8{AddService: ipvsCmdNewService, UpdateService: ipvsCmdSetService, DeleteService: ipvsCmdDelService,
		AddDestination: ipvsCmdNewDest, UpdateDestination: ipvsCmdSetDest, DeleteDestination: ipvsCmdDelDest}[o.Kind]
	req := nl.NewNetlinkRequest(int(family), flags)
	req.Seq = seq
	req.AddData(&nl.Genlmsg{Command: cmd, Version: ipvsGenlVersion})
	switch o.Kind {
	case AddService, UpdateService:
		req.AddData(refServiceAttr(toMobyService(o.Service)))
	case DeleteService:
		req.AddData(refServiceAttr(toMobyService(Service{Key: o.Service.Key})))
	default:
		req.AddData(refServiceAttr(toMobyService(Service{Key: o.Service.Key})))
		d := o.Dest
		if o.Kind == DeleteDestination {
			d = Destination{Addr: o.Dest.Addr}
		}
		a := refDestAttr(toMobyDest(d))
		if d.Tunnel != (Tunnel{}) { // beyond moby/ipvs: the kernel's tunnel attributes
			a.AddRtAttr(ipvsDestAttrTunType, []byte{byte(d.Tunnel.Type)})
			if d.Tunnel.Type == TunnelGUE {
				a.AddRtAttr(ipvsDestAttrTunPort, binary.BigEndian.AppendUint16(nil, d.Tunnel.Port))
			}
			a.AddRtAttr(ipvsDestAttrTunFlags, nl.Uint16Attr(uint16(d.Tunnel.Csum)))
		}
		req.AddData(a)
	}
	b := req.Serialize()
	// nl.Genlmsg is two bytes but serialises as four (SizeofGenlmsg), so genlmsghdr's
	// reserved field carries whatever follows the struct in memory; the kernel ignores it
	// and appendIPVSMessage sends zeros.
	b[unix.SizeofNlMsghdr+2], b[unix.SizeofNlMsghdr+3] = 0, 0
	return b
}

func refServiceAttr(s *ipvs.Service) *nl.RtAttr {
	a := nl.NewRtAttr(ipvsCmdAttrService, nil)
	a.AddRtAttr(ipvsSvcAttrAF, nl.Uint16Attr(s.AddressFamily))
	if s.FWMark != 0 {
		a.AddRtAttr(ipvsSvcAttrFWMark, nl.Uint32Attr(s.FWMark))
	} else {
		a.AddRtAttr(ipvsSvcAttrProtocol, nl.Uint16Attr(s.Protocol))
		a.AddRtAttr(ipvsSvcAttrAddr, refRawIP(s.Address))
		a.AddRtAttr(ipvsSvcAttrPort, binary.BigEndian.AppendUint16(nil, s.Port))
	}
	a.AddRtAttr(ipvsSvcAttrSchedName, nl.ZeroTerminated(s.SchedName))
	if s.PEName != "" { // as moby/ipvs' fillService
		a.AddRtAttr(ipvsSvcAttrPEName, nl.ZeroTerminated(s.PEName))
	}
	flags := binary.NativeEndian.AppendUint32(nil, s.Flags)
	a.AddRtAttr(ipvsSvcAttrFlags, binary.NativeEndian.AppendUint32(flags, 0xFFFFFFFF))
	a.AddRtAttr(ipvsSvcAttrTimeout, nl.Uint32Attr(s.Timeout))
	a.AddRtAttr(ipvsSvcAttrNetmask, nl.Uint32Attr(s.Netmask))
	return a
}

func refDestAttr(d *ipvs.Destination) *nl.RtAttr {
	a := nl.NewRtAttr(ipvsCmdAttrDest, nil)
	a.AddRtAttr(ipvsDestAttrAddr, refRawIP(d.Address))
	a.AddRtAttr(ipvsDestAttrPort, binary.BigEndian.AppendUint16(nil, d.Port))
	a.AddRtAttr(ipvsDestAttrFwdMethod, nl.Uint32Attr(d.ConnectionFlags&ipvs.ConnFwdMask))
	a.AddRtAttr(ipvsDestAttrWeight, nl.Uint32Attr(uint32(d.Weight)))
	a.AddRtAttr(ipvsDestAttrUThresh, nl.Uint32Attr(d.UpperThreshold))
	a.AddRtAttr(ipvsDestAttrLThresh, nl.Uint32Attr(d.LowerThreshold))
	return a
}

func refRawIP(ip net.IP) []byte {
	if v4 := ip.To4(); v4 != nil {
		return v4
	}
	return ip
}

// encoderCases covers every batched kind, address and firewall-mark services of both
// families, scheduler names of every length modulo 4 (the NUL and padding), every scheduler
// flag, one-packet scheduling, persistence with and without a granularity, every forwarding
// method, thresholds and extreme weights.
func encoderCases() []Op {
	v4 := tcp("10.10.10.22:80")
	v6 := NewServiceKey(UDP, netip.MustParseAddrPort("[2001:db8::22]:53"))
	sctp := NewServiceKey(SCTP, netip.MustParseAddrPort("192.0.2.1:65535"))
	m4, m6 := FWMarkKey(1, IPv4), FWMarkKey(0xFFFFFFFF, IPv6)
	services := []Service{
		{Key: v4, Scheduler: "wrr"},
		{Key: v4, Scheduler: "rr"},
		{Key: v4, Scheduler: "wlc", Persistence: 300 * time.Second},
		{Key: v4, Scheduler: "sh", SchedFlags: SchedFlag1 | SchedFlag2, Persistence: time.Second, Granularity: 24},
		{Key: v4, Scheduler: "mh", SchedFlags: SchedFlag1 | SchedFlag2 | SchedFlag3},
		{Key: v4, Scheduler: ""},
		{Key: v6, Scheduler: "lblcr", OnePacket: true},
		{Key: v6, Scheduler: "dh", Persistence: 31 * 24 * time.Hour, Granularity: 64},
		{Key: sctp, Scheduler: "nq"},
		{Key: m4, Scheduler: "lc", Persistence: 50 * time.Second, Granularity: 16},
		{Key: m6, Scheduler: "sed", SchedFlags: SchedFlag3},
		{Key: v6, Scheduler: "rr", Persistence: time.Minute, PE: "sip"},
		{Key: m4, Scheduler: "wrr", Persistence: time.Minute, PE: "abc"}, // a name of every length modulo 4
	}
	dests := []Destination{
		{Addr: netip.MustParseAddrPort("10.10.10.31:80"), Forward: DR, Weight: 1},
		{Addr: netip.MustParseAddrPort("10.10.10.32:8080"), Forward: NAT, Weight: 0, Upper: 100, Lower: 10},
		{Addr: netip.MustParseAddrPort("10.10.10.33:0"), Forward: TUN, Weight: MaxWeight},
		{Addr: netip.MustParseAddrPort("127.0.0.1:80"), Forward: Local, Weight: 7, Upper: 0xFFFFFFFF},
		{Addr: netip.MustParseAddrPort("[2001:db8::31]:443"), Forward: DR, Weight: 3, Lower: 1},
		{Addr: netip.MustParseAddrPort("[::ffff:10.1.2.3]:80"), Forward: TUN, Weight: 2},
		{Addr: netip.MustParseAddrPort("10.10.10.34:80"), Forward: TUN, Weight: 1, Tunnel: Tunnel{Type: TunnelGUE, Port: 6080, Csum: TunnelRemCsum}},
		{Addr: netip.MustParseAddrPort("[2001:db8::34]:80"), Forward: TUN, Weight: 1, Tunnel: Tunnel{Type: TunnelGRE, Csum: TunnelCsumOn}},
		{Addr: netip.MustParseAddrPort("10.10.10.35:80"), Forward: TUN, Weight: 1, Tunnel: Tunnel{Type: TunnelGRE}},
	}
	var ops []Op
	for _, s := range services {
		ops = append(ops,
			Op{Kind: AddService, Service: s},
			Op{Kind: UpdateService, Service: s},
			Op{Kind: DeleteService, Service: s}) // a delete sends the key alone
		for _, d := range dests {
			key := Service{Key: s.Key}
			ops = append(ops,
				Op{Kind: AddDestination, Service: key, Dest: d},
				Op{Kind: UpdateDestination, Service: key, Dest: d},
				Op{Kind: DeleteDestination, Service: key, Dest: d},
				// destination ops carry the key alone, but a full service must not leak in
				Op{Kind: AddDestination, Service: s, Dest: d})
		}
	}
	return ops
}

// appendIPVSMessage emits exactly the bytes of the attribute-tree builder, alone and
// appended after other messages in a reused buffer.
func TestAppendIPVSMessageMatchesReference(t *testing.T) {
	const family = 0x1d
	var buf []byte
	var want []byte
	for i, o := range encoderCases() {
		seq := uint32(1000 + i)
		var flags uint16
		if i%3 == 0 {
			flags = unix.NLM_F_ACK
		}
		ref := refMessage(family, o, int(flags), seq)
		got, err := appendIPVSMessage(nil, family, o, flags, seq)
		if err != nil {
			t.Fatalf("%v: %v", o, err)
		}
		if diff := cmp.Diff(hex.EncodeToString(ref), hex.EncodeToString(got)); diff != "" {
			t.Errorf("%s %v: bytes (-want +got):\n%s", o.Kind, o, diff)
		}
		want = append(want, ref...)
		if buf, err = appendIPVSMessage(buf, family, o, flags, seq); err != nil {
			t.Fatal(err)
		}
	}
	if diff := cmp.Diff(hex.EncodeToString(want), hex.EncodeToString(buf)); diff != "" {
		t.Errorf("concatenated batch (-want +got):\n%s", diff)
	}
}

// One message spelled out byte by byte, so that the format is pinned even if the reference
// builder changed with a library upgrade.
func TestAppendIPVSMessageGolden(t *testing.T) {
	if binary.NativeEndian.Uint16([]byte{1, 0}) != 1 {
		t.Skip("golden bytes are little-endian")
	}
	o := Op{Kind: AddDestination, Service: Service{Key: tcp("10.10.10.22:80")},
		Dest: Destination{Addr: netip.MustParseAddrPort("10.10.10.31:80"), Forward: DR, Weight: 3}}
	got, err := appendIPVSMessage(nil, 0x1d, o, unix.NLM_F_ACK, 7)
	if err != nil {
		t.Fatal(err)
	}
	want := "" +
		"90000000" + "1d00" + "0500" + "07000000" + "00000000" + // nlmsghdr: len 144, family, REQUEST|ACK, seq 7, pid 0
		"05010000" + // genlmsghdr: IPVS_CMD_NEW_DEST, version 1
		"4800" + "0100" + // IPVS_CMD_ATTR_SERVICE, 72 bytes
		"0600010002000000" + // AF = AF_INET
		"0600020006000000" + // protocol = TCP
		"080003000a0a0a16" + // address 10.10.10.22
		"0600040000500000" + // port 80, network order
		"0500060000000000" + // scheduler "" (NUL, padded)
		"0c00070000000000ffffffff" + // flags 0, mask all
		"0800080000000000" + // timeout 0
		"08000900ffffffff" + // netmask 255.255.255.255
		"3400" + "0200" + // IPVS_CMD_ATTR_DEST, 52 bytes
		"080001000a0a0a1f" + // address 10.10.10.31
		"0600020000500000" + // port 80
		"0800030003000000" + // forwarding DR
		"0800040003000000" + // weight 3
		"0800050000000000" + // upper threshold
		"0800060000000000" // lower threshold
	if diff := cmp.Diff(want, hex.EncodeToString(got)); diff != "" {
		t.Errorf("bytes (-want +got):\n%s", diff)
	}
}

func TestAppendIPVSMessageRefusesOtherKinds(t *testing.T) {
	buf := []byte{1, 2, 3}
	for _, k := range []OpKind{SetTimeouts, StartSyncDaemon, StopSyncDaemon, 0} {
		got, err := appendIPVSMessage(buf, 0x1d, Op{Kind: k}, 0, 1)
		if err == nil {
			t.Errorf("%s: no error", k)
		}
		if diff := cmp.Diff([]byte{1, 2, 3}, got); diff != "" {
			t.Errorf("%s: buffer changed (-want +got):\n%s", k, diff)
		}
	}
}

// BenchmarkAppendIPVSMessages encodes the 11,000 messages of a 1,000 × 10 table from empty.
func BenchmarkAppendIPVSMessages(b *testing.B) {
	ops := Diff(nil, bigTable(1000), nil)
	b.ReportAllocs()
	var buf []byte
	for b.Loop() {
		buf = buf[:0]
		for i, o := range ops {
			var err error
			if buf, err = appendIPVSMessage(buf[:len(buf)%(maxBatch*200)], 0x1d, o, 0, uint32(i)); err != nil {
				b.Fatal(err)
			}
		}
	}
}
