package lvs

// The batch's netlink encoder. It appends each request's bytes straight into one buffer the
// Kernel reuses from batch to batch: under emulation the attribute trees and per-message
// slices of vishvananda/netlink's builder cost as much as the kernel's own work for a table
// programmed from empty. The bytes are exactly those moby/ipvs sends (its fillService and
// fillDestination through nl.RtAttr), except that genlmsghdr's reserved field is zero where
// nl.Genlmsg sends two bytes of whatever follows it in memory (the kernel ignores them);
// batch_encode_linux_test.go pins the bytes against that builder for every kind of operation.

import (
	"encoding/binary"
	"fmt"
	"net/netip"

	"github.com/moby/ipvs"
	"golang.org/x/sys/unix"
)

// appendIPVSMessage appends o as one IPVS generic-netlink request of the given family id,
// header flags and sequence number. On error b is returned unchanged.
func appendIPVSMessage(b []byte, family uint16, o Op, flags uint16, seq uint32) ([]byte, error) {
	var cmd uint8
	switch o.Kind {
	case AddService:
		cmd = ipvsCmdNewService
	case UpdateService:
		cmd = ipvsCmdSetService
	case DeleteService:
		cmd = ipvsCmdDelService
	case AddDestination:
		cmd = ipvsCmdNewDest
	case UpdateDestination:
		cmd = ipvsCmdSetDest
	case DeleteDestination:
		cmd = ipvsCmdDelDest
	default:
		return b, fmt.Errorf("lvs: %s cannot be batched", o.Kind)
	}
	start := len(b)
	ne := binary.NativeEndian
	// struct nlmsghdr: length (patched below), type, flags, seq, pid (0: the kernel's
	// address, as nl.NetlinkRequest leaves it); then struct genlmsghdr.
	b = ne.AppendUint32(b, 0)
	b = ne.AppendUint16(b, family)
	b = ne.AppendUint16(b, unix.NLM_F_REQUEST|flags)
	b = ne.AppendUint32(b, seq)
	b = ne.AppendUint32(b, 0)
	b = append(b, cmd, ipvsGenlVersion, 0, 0)
	switch o.Kind {
	case AddService, UpdateService:
		b = appendServiceAttr(b, o.Service)
	case DeleteService:
		b = appendServiceAttr(b, Service{Key: o.Service.Key})
	default:
		b = appendServiceAttr(b, Service{Key: o.Service.Key})
		d := o.Dest
		if o.Kind == DeleteDestination {
			d = Destination{Addr: o.Dest.Addr}
		}
		b = appendDestAttr(b, d)
	}
	ne.PutUint32(b[start:], uint32(len(b)-start))
	return b, nil
}

// appendServiceAttr is moby/ipvs' fillService of toMobyService(s): the service nested in
// IPVS_CMD_ATTR_SERVICE.
func appendServiceAttr(b []byte, s Service) []byte {
	nest := len(b)
	b = append(b, 0, 0, 0, 0)
	b = appendU16Attr(b, ipvsSvcAttrAF, uint16(s.Key.Family))
	if s.Key.FWMark != 0 {
		b = appendU32Attr(b, ipvsSvcAttrFWMark, s.Key.FWMark)
	} else {
		b = appendU16Attr(b, ipvsSvcAttrProtocol, uint16(s.Key.Protocol))
		b = appendAddrAttr(b, ipvsSvcAttrAddr, s.Key.Addr.Addr())
		b = appendPortAttr(b, ipvsSvcAttrPort, s.Key.Addr.Port())
	}
	// The scheduler's name, NUL-terminated, padded to 4 bytes.
	b = appendAttrHeader(b, ipvsSvcAttrSchedName, len(s.Scheduler)+1)
	b = append(b, s.Scheduler...)
	b = append(b, 0)
	b = pad(b)
	if s.PE != "" {
		b = appendAttrHeader(b, ipvsSvcAttrPEName, len(s.PE)+1)
		b = append(b, s.PE...)
		b = append(b, 0)
		b = pad(b)
	}
	flags, timeout := kernelFlags(s)
	b = appendAttrHeader(b, ipvsSvcAttrFlags, 8) // struct ip_vs_flags {flags, mask}
	b = binary.NativeEndian.AppendUint32(b, flags)
	b = binary.NativeEndian.AppendUint32(b, 0xFFFFFFFF)
	b = appendU32Attr(b, ipvsSvcAttrTimeout, timeout)
	b = appendU32Attr(b, ipvsSvcAttrNetmask, kernelNetmask(s.Key.Family, s.Granularity))
	return endNest(b, nest, ipvsCmdAttrService)
}

// appendDestAttr is moby/ipvs' fillDestination of toMobyDest(d): the destination nested in
// IPVS_CMD_ATTR_DEST.
func appendDestAttr(b []byte, d Destination) []byte {
	nest := len(b)
	b = append(b, 0, 0, 0, 0)
	b = appendAddrAttr(b, ipvsDestAttrAddr, d.Addr.Addr())
	b = appendPortAttr(b, ipvsDestAttrPort, d.Addr.Port())
	b = appendU32Attr(b, ipvsDestAttrFwdMethod, uint32(d.Forward)&ipvs.ConnFwdMask)
	b = appendU32Attr(b, ipvsDestAttrWeight, uint32(d.Weight))
	b = appendU32Attr(b, ipvsDestAttrUThresh, d.Upper)
	b = appendU32Attr(b, ipvsDestAttrLThresh, d.Lower)
	if d.Tunnel != (Tunnel{}) {
		// moby/ipvs (v1.1.0) has no tunnel attributes: these are the kernel's (Linux 5.2+),
		// sent as keepalived's libipvs sends them, the port only for GUE.
		b = appendAttrHeader(b, ipvsDestAttrTunType, 1)
		b = pad(append(b, byte(d.Tunnel.Type)))
		if d.Tunnel.Type == TunnelGUE {
			b = appendPortAttr(b, ipvsDestAttrTunPort, d.Tunnel.Port)
		}
		b = appendU16Attr(b, ipvsDestAttrTunFlags, uint16(d.Tunnel.Csum))
	}
	return endNest(b, nest, ipvsCmdAttrDest)
}

// appendAttrHeader appends struct nlattr for a payload of n bytes (the length field counts
// the header and the unpadded payload).
func appendAttrHeader(b []byte, typ uint16, n int) []byte {
	b = binary.NativeEndian.AppendUint16(b, uint16(unix.SizeofRtAttr+n))
	return binary.NativeEndian.AppendUint16(b, typ)
}

// endNest writes the header of the nested attribute begun at nest; its children are all
// padded, so its length is already a multiple of 4.
func endNest(b []byte, nest int, typ uint16) []byte {
	binary.NativeEndian.PutUint16(b[nest:], uint16(len(b)-nest))
	binary.NativeEndian.PutUint16(b[nest+2:], typ)
	return b
}

func appendU16Attr(b []byte, typ, v uint16) []byte {
	b = appendAttrHeader(b, typ, 2)
	b = binary.NativeEndian.AppendUint16(b, v)
	return append(b, 0, 0)
}

func appendU32Attr(b []byte, typ uint16, v uint32) []byte {
	b = appendAttrHeader(b, typ, 4)
	return binary.NativeEndian.AppendUint32(b, v)
}

// appendPortAttr appends a port in network byte order, as IPVS wants it.
func appendPortAttr(b []byte, typ, port uint16) []byte {
	b = appendAttrHeader(b, typ, 2)
	b = binary.BigEndian.AppendUint16(b, port)
	return append(b, 0, 0)
}

// appendAddrAttr appends an address as IPVS wants it (rawIP): 4 bytes for IPv4 (and an
// IPv4-mapped IPv6 address), 16 for IPv6, nothing for no address.
func appendAddrAttr(b []byte, typ uint16, a netip.Addr) []byte {
	switch {
	case a.Is4() || a.Is4In6():
		v4 := a.Unmap().As4()
		b = appendAttrHeader(b, typ, 4)
		return append(b, v4[:]...)
	case a.Is6():
		v6 := a.As16()
		b = appendAttrHeader(b, typ, 16)
		return append(b, v6[:]...)
	}
	return appendAttrHeader(b, typ, 0)
}

// pad appends zeros up to the next multiple of 4 (NLA_ALIGN).
func pad(b []byte) []byte {
	for len(b)%unix.NLA_ALIGNTO != 0 {
		b = append(b, 0)
	}
	return b
}
