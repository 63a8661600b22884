package lvs

import "fmt"

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
		d, err := parseDest(m, ks.svc.Key.Family)
		if err != nil {
			return fmt.Errorf("lvs: destination of %s: %w", ks.svc.Key, err)
		}
		if i := indexDest(ks.dests, d.Addr); i >= 0 && ks.dests[i].Forward == TUN {
			ks.dests[i].Tunnel = d.Tunnel
		}
	}
	return nil
}
