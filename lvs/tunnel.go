package lvs

import (
	"fmt"
	"strconv"
)

// TunnelType is a TUN destination's encapsulation (IPVS_DEST_ATTR_TUN_TYPE, Linux 5.2+;
// GRE from 5.3). keepalived's lvs_method TUN type ipip|gue|gre.
type TunnelType uint8

// Tunnel types, with the kernel's values (IP_VS_CONN_F_TUNNEL_TYPE_*).
const (
	TunnelIPIP TunnelType = 0 // IP-in-IP, the default and the only one older kernels have
	TunnelGUE  TunnelType = 1 // Generic UDP Encapsulation, to Tunnel.Port
	TunnelGRE  TunnelType = 2
)

func (t TunnelType) String() string {
	switch t {
	case TunnelIPIP:
		return "ipip"
	case TunnelGUE:
		return "gue"
	case TunnelGRE:
		return "gre"
	}
	return "tunnel-" + strconv.Itoa(int(t))
}

// TunnelCsum is a GUE or GRE tunnel's checksum option (IPVS_DEST_ATTR_TUN_FLAGS).
type TunnelCsum uint16

// Checksum options, with the kernel's values (IP_VS_TUNNEL_ENCAP_FLAG_*).
const (
	TunnelNoCsum  TunnelCsum = 0
	TunnelCsumOn  TunnelCsum = 1 << 0 // checksum the encapsulating header
	TunnelRemCsum TunnelCsum = 1 << 1 // remote checksum offload (GUE only)
)

func (c TunnelCsum) String() string {
	switch c {
	case TunnelNoCsum:
		return "nocsum"
	case TunnelCsumOn:
		return "csum"
	case TunnelRemCsum:
		return "remcsum"
	}
	return "csum-" + strconv.Itoa(int(c))
}

// Tunnel is a TUN destination's encapsulation. The zero Tunnel is IP-in-IP, what TUN means
// without it (and all a kernel before 5.2 does).
type Tunnel struct {
	Type TunnelType
	Port uint16 // the GUE port, GUE only (and required there)
	Csum TunnelCsum
}

// validate applies keepalived's rules (check_parser.c), which are the kernel's: GUE and a
// port go together, IP-in-IP has no checksum option, GRE no remote checksum.
func (t Tunnel) validate() error {
	switch {
	case t.Type > TunnelGRE:
		return fmt.Errorf("unknown tunnel type %d", t.Type)
	case t.Csum > TunnelRemCsum:
		return fmt.Errorf("unknown tunnel checksum option %d", t.Csum)
	case (t.Type == TunnelGUE) != (t.Port != 0):
		return fmt.Errorf("a gue tunnel needs a port and other tunnels have none")
	case t.Type == TunnelIPIP && t.Csum != TunnelNoCsum:
		return fmt.Errorf("an ipip tunnel has no checksum option")
	case t.Type == TunnelGRE && t.Csum == TunnelRemCsum:
		return fmt.Errorf("a gre tunnel has no remote checksum option")
	}
	return nil
}

// appendSpec appends ipvsadm's tunnel options: "--tun-type gue --tun-port 6080 --tun-csum";
// nothing for IP-in-IP.
func (t Tunnel) appendSpec(b []byte) []byte {
	if t == (Tunnel{}) {
		return b
	}
	b = append(append(b, " --tun-type "...), t.Type.String()...)
	if t.Port != 0 {
		b = strconv.AppendUint(append(b, " --tun-port "...), uint64(t.Port), 10)
	}
	if t.Type != TunnelIPIP {
		b = append(append(b, " --tun-"...), t.Csum.String()...)
	}
	return b
}
