//go:build vmtest

package vm

import (
	"os"
	"strings"
	"testing"
)

// TestKernelHasIPVS checks the guest itself: the ip_vs module is loaded, ipvsadm (the reference
// reader) talks to it, and named network namespaces work. Every other test builds on these.
func TestKernelHasIPVS(t *testing.T) {
	requireVM(t)
	out := run(t, "ipvsadm", "-Ln")
	if !strings.Contains(out, "IP Virtual Server version") {
		t.Fatalf("ipvsadm -Ln: no IPVS banner:\n%s", out)
	}
	run(t, "ip", "netns", "add", nsPrefix+"smoke")
	t.Cleanup(func() { runErr("ip", "netns", "del", nsPrefix+"smoke") })
	if got := nsRun(t, nsPrefix+"smoke", "ip -o link show lo | grep -c LOOPBACK"); strings.TrimSpace(got) != "1" {
		t.Fatalf("namespace %s has no loopback: %q", nsPrefix+"smoke", got)
	}
	if _, err := os.Stat("/proc/net/ip_vs"); err != nil {
		t.Fatal(err)
	}
}
