package vrrp

import (
	"encoding/binary"
	"net/netip"
)

// checksum computes the VRRP checksum of msg (whose checksum field is ignored):
//   - version 2: the one's complement sum over the message only (RFC 3768 §5.3.8);
//   - version 3 over IPv6: with the IPv6 pseudo-header (RFC 5798 §5.2.8, RFC 8200 §8.1);
//   - version 3 over IPv4: with the IPv4 pseudo-header, as keepalived computes it, or over
//     the message only when opts.V3ChecksumAsV2 is set.
func checksum(msg []byte, version uint8, src, dst netip.Addr, opts CodecOptions) uint16 {
	var sum uint32
	if version == 3 && (src.Is6() || !opts.V3ChecksumAsV2) {
		sum = pseudoHeaderSum(src, dst, len(msg))
	}
	sum = addBytes(sum, msg[:6])
	sum = addBytes(sum, msg[8:])
	return ^fold(sum)
}

// checksumOK reports whether msg's checksum field matches its contents.
func checksumOK(msg []byte, version uint8, src, dst netip.Addr, opts CodecOptions) bool {
	return checksum(msg, version, src, dst, opts) == binary.BigEndian.Uint16(msg[6:8])
}

func pseudoHeaderSum(src, dst netip.Addr, length int) uint32 {
	var sum uint32
	sum = addBytes(sum, src.AsSlice())
	sum = addBytes(sum, dst.AsSlice())
	// IPv4: zero, protocol, 16-bit length; IPv6: 32-bit length, three zeros, next header.
	// Both add up to length + protocol in 16-bit words.
	sum += uint32(length>>16) + uint32(length&0xffff) + Protocol
	return sum
}

func addBytes(sum uint32, b []byte) uint32 {
	for len(b) >= 2 {
		sum += uint32(b[0])<<8 | uint32(b[1])
		b = b[2:]
	}
	if len(b) == 1 {
		sum += uint32(b[0]) << 8
	}
	return sum
}

func fold(sum uint32) uint16 {
	for sum > 0xffff {
		sum = sum>>16 + sum&0xffff
	}
	return uint16(sum)
}
