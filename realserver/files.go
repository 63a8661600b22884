package realserver

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
)

// The files a Host reads and writes: sysctls under ProcSys, its state file, the persisted
// sysctl.d file.

func (h *Host) sysctlPath(key string) string {
	return filepath.Join(h.paths.ProcSys, strings.ReplaceAll(key, ".", "/"))
}

func (h *Host) readSysctl(key string) (string, error) {
	b, err := os.ReadFile(h.sysctlPath(key))
	if err != nil {
		return "", fmt.Errorf("realserver: read %s: %w", key, err)
	}
	return strings.TrimSpace(string(b)), nil
}

func (h *Host) writeSysctl(key, v string) error {
	if err := os.WriteFile(h.sysctlPath(key), []byte(v), 0o644); err != nil {
		return fmt.Errorf("realserver: set %s=%s: %w", key, v, err)
	}
	return nil
}

func (h *Host) load() (*state, error) {
	st := &state{Sysctls: map[string]string{}}
	b, err := os.ReadFile(h.paths.StateFile)
	if errors.Is(err, os.ErrNotExist) {
		return st, nil
	}
	if err == nil {
		err = json.Unmarshal(b, st)
	}
	if err != nil {
		return nil, fmt.Errorf("realserver: state file %s: %w", h.paths.StateFile, err)
	}
	if st.Sysctls == nil {
		st.Sysctls = map[string]string{}
	}
	return st, nil
}

// save writes the state, or removes the file once nothing is left to undo.
func (h *Host) save(st *state) error {
	if len(st.VIPs) == 0 && len(st.Sysctls) == 0 && st.Persisted == "" && st.TUN.isZero() {
		if err := os.Remove(h.paths.StateFile); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("realserver: %w", err)
		}
		return nil
	}
	b, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(h.paths.StateFile), 0o755); err != nil {
		return fmt.Errorf("realserver: %w", err)
	}
	tmp := h.paths.StateFile + ".tmp"
	if err := os.WriteFile(tmp, append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("realserver: %w", err)
	}
	return os.Rename(tmp, h.paths.StateFile)
}

// sysctlConf is the persisted file: the settings, and a note on the VIPs that sysctl cannot
// restore at boot. tun adds tunl0's rp_filter, which applies once tunl0 exists.
func sysctlConf(vips []netip.Prefix, tun bool) string {
	var b strings.Builder
	b.WriteString("# Written by `halvs realserver up --persist`; removed by `halvs realserver down`.\n")
	b.WriteString("# LVS direct routing: this host holds the VIPs on lo and must not answer ARP for them.\n")
	for _, s := range Sysctls {
		fmt.Fprintf(&b, "%s = %s\n", s.Key, s.Value)
	}
	up, dev := "halvs realserver up", "lo"
	if tun {
		up, dev = up+" --tun", tunDev
		fmt.Fprintf(&b, "# LVS-TUN: the VIPs are on %s, which must not drop the decapsulated packets.\n", tunDev)
		fmt.Fprintf(&b, "%s = %s\n", tunSysctls[0].Key, tunSysctls[0].Value)
	}
	if len(vips) > 0 {
		b.WriteString("# The VIPs themselves are not restored by sysctl; at boot run\n#   " + up)
		for _, p := range vips {
			fmt.Fprintf(&b, " --vip %s", p.Addr())
		}
		fmt.Fprintf(&b, "\n# (or add them to %s in the network configuration).\n", dev)
	}
	return b.String()
}
