package lvs

import (
	"encoding/binary"
	"fmt"
	"net/netip"
)

// Tunnel encapsulations go past moby/ipvs (v1.1.0), which neither sends nor reads
// IPVS_DEST_ATTR_TUN_*: a destination with one is written through the Kernel's own encoder
// (applyBatch, batch_encode_linux.go) and read back with a GET_DEST dump of our own.

// hasTunnel says whether a destination needs the attributes moby/ipvs lacks.
func hasTunnel(d Destination) bool { return d.Tunnel != (Tunnel{}) }

// applyOne sends one operation through applyBatch.
func (k *Kernel) applyOne(o Op) error { return k.applyBatch([]Op{o})[0] }

// fillTunnels sets the Tunnel of each TUN destination of ks from the kernel, for the
// services that have one. k.mu must be held.
func (k *Kernel) fillTunnels(ks *kernelService) error {
	tun := false
	for _, d := range ks.dests {
		tun = tun || d.Forward == TUN
	}
	if !tun {
		return nil
	}
	ans, err := k.execute(k.dumpRequest(ipvsCmdGetDest, &ks.svc.Key))
	if err != nil {
		return err
	}
	if ans[0].err != nil {
		return fmt.Errorf("lvs: destinations of %s: %w", ks.svc.Key, ans[0].err)
	}
	for _, m := range ans[0].data {
		addr, t, err := parseDestTunnel(m, ks.svc.Key.Family)
		if err != nil {
			return fmt.Errorf("lvs: destination of %s: %w", ks.svc.Key, err)
		}
		if i := indexDest(ks.dests, addr); i >= 0 && ks.dests[i].Forward == TUN {
			ks.dests[i].Tunnel = t
		}
	}
	return nil
}

// parseDestTunnel reads one GET_DEST answer: the destination's address and tunnel (zero
// when the kernel sends no tunnel attributes, before Linux 5.2). svcFam is the family of a
// destination whose answer names none.
func parseDestTunnel(msg []byte, svcFam Family) (netip.AddrPort, Tunnel, error) {
	attrs, err := nestedAttrs(msg, ipvsCmdAttrDest)
	if err != nil {
		return netip.AddrPort{}, Tunnel{}, err
	}
	var (
		t    Tunnel
		fam  = svcFam
		addr []byte
		port uint16
	)
	ne := binary.NativeEndian
	for _, a := range attrs {
		v := a.Value
		switch attrType(a) {
		case ipvsDestAttrAddr:
			addr = v
		case ipvsDestAttrPort:
			if len(v) >= 2 {
				port = binary.BigEndian.Uint16(v)
			}
		case ipvsDestAttrAF:
			if len(v) >= 2 {
				fam = Family(ne.Uint16(v))
			}
		case ipvsDestAttrTunType:
			if len(v) >= 1 {
				t.Type = TunnelType(v[0])
			}
		case ipvsDestAttrTunPort:
			if len(v) >= 2 {
				t.Port = binary.BigEndian.Uint16(v)
			}
		case ipvsDestAttrTunFlags:
			if len(v) >= 2 {
				t.Csum = TunnelCsum(ne.Uint16(v))
			}
		}
	}
	a, err := kernelAddr(addr, fam)
	if err != nil {
		return netip.AddrPort{}, Tunnel{}, err
	}
	if t.Type != TunnelGUE {
		t.Port = 0 // the kernel reports the port it keeps, zero but for GUE
	}
	return netip.AddrPortFrom(a, port), t, nil
}
