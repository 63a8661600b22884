package lvs

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// The IPVS sysctls live under procVS in the network namespace of the process that opens them
// (halvs runs in the director's namespace); the connection table is procConns.
const (
	procVS    = "/proc/sys/net/ipv4/vs"
	procConns = "/proc/net/ip_vs_conn"
)

// SetSysctl writes net.ipv4.vs.name (sloppy_tcp, sync_threshold, sync_refresh_period, …).
func SetSysctl(name, value string) error { return setSysctl(procVS, name, value) }

func setSysctl(dir, name, value string) error {
	if name == "" || strings.ContainsAny(name, "/.") {
		return fmt.Errorf("lvs: bad sysctl name %q", name)
	}
	if err := os.WriteFile(filepath.Join(dir, name), []byte(value+"\n"), 0); err != nil {
		return fmt.Errorf("lvs: net.ipv4.vs.%s = %q: %w", name, value, err)
	}
	return nil
}

// ConnCount is the number of entries in the IPVS connection table (connections and
// persistence templates), as the sync daemon's backup side fills it.
func ConnCount() (int, error) { return connCount(procConns) }

func connCount(path string) (int, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, fmt.Errorf("lvs: connection table: %w", err)
	}
	n := 0
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		// The first line is the header ("Pro FromIP FPrt ToIP …").
		if f := strings.Fields(sc.Text()); len(f) > 0 && f[0] != "Pro" {
			n++
		}
	}
	return n, sc.Err()
}

// Sysctl reads net.ipv4.vs.name.
func Sysctl(name string) (string, error) {
	if name == "" || strings.ContainsAny(name, "/.") {
		return "", fmt.Errorf("lvs: bad sysctl name %q", name)
	}
	b, err := os.ReadFile(filepath.Join(procVS, name))
	if err != nil {
		return "", fmt.Errorf("lvs: net.ipv4.vs.%s: %w", name, err)
	}
	return strings.TrimSpace(string(b)), nil
}
