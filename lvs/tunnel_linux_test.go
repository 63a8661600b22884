package lvs

import (
	"encoding/binary"
	"net/netip"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/vishvananda/netlink/nl"
)

func TestParseDestTunnel(t *testing.T) {
	msg := func(addr netip.AddrPort, attrs map[uint16][]byte) []byte {
		d := nl.NewRtAttr(ipvsCmdAttrDest, nil)
		a16 := addr.Addr().As16()
		if addr.Addr().Is4() {
			a4 := addr.Addr().As4()
			a16 = [16]byte{}
			copy(a16[:], a4[:])
		}
		d.AddRtAttr(ipvsDestAttrAddr, a16[:])
		d.AddRtAttr(ipvsDestAttrPort, binary.BigEndian.AppendUint16(nil, addr.Port()))
		d.AddRtAttr(ipvsDestAttrFwdMethod, u32(uint32(TUN)))
		for _, typ := range []uint16{ipvsDestAttrTunType, ipvsDestAttrTunPort, ipvsDestAttrTunFlags} {
			if v, ok := attrs[typ]; ok {
				d.AddRtAttr(int(typ), v)
			}
		}
		return genlMessage(d)
	}
	rs := netip.MustParseAddrPort("10.10.10.31:80")
	type result struct {
		Addr   string
		Tunnel Tunnel
	}
	for _, tc := range []struct {
		name string
		msg  []byte
		want result
	}{
		{"gue, port, remcsum", msg(rs, map[uint16][]byte{ipvsDestAttrTunType: {1}, ipvsDestAttrTunPort: binary.BigEndian.AppendUint16(nil, 6080), ipvsDestAttrTunFlags: u16(2)}),
			result{"10.10.10.31:80", Tunnel{Type: TunnelGUE, Port: 6080, Csum: TunnelRemCsum}}},
		{"gre csum, the kernel's zero port", msg(rs, map[uint16][]byte{ipvsDestAttrTunType: {2}, ipvsDestAttrTunPort: {0, 0}, ipvsDestAttrTunFlags: u16(1)}),
			result{"10.10.10.31:80", Tunnel{Type: TunnelGRE, Csum: TunnelCsumOn}}},
		{"ipip as Linux 5.2+ reports it", msg(rs, map[uint16][]byte{ipvsDestAttrTunType: {0}, ipvsDestAttrTunPort: {0, 0}, ipvsDestAttrTunFlags: u16(0)}),
			result{"10.10.10.31:80", Tunnel{}}},
		{"a kernel before 5.2: no tunnel attributes", msg(rs, nil), result{"10.10.10.31:80", Tunnel{}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d, err := parseDest(tc.msg, IPv4)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, result{d.Addr.String(), d.Tunnel}); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}
