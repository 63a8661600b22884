package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/halvs/halvs/lvs"
)

const ipvsSeedConfig = "../../examples/seed/director-a.hcl"

var ipvsSeedOps = []string{
	"-A -t 10.10.10.22:80 -s wrr",
	"-a -t 10.10.10.22:80 -r 10.10.10.31:80 -g -w 3",
	"-a -t 10.10.10.22:80 -r 10.10.10.32:80 -g -w 3",
}

// withMemoryIPVS makes runIPVS use m instead of the kernel for the test's duration.
func withMemoryIPVS(t *testing.T, m *lvs.Memory) {
	t.Helper()
	orig := openIPVS
	openIPVS = func() (lvs.Backend, func(), error) { return m, func() {}, nil }
	t.Cleanup(func() { openIPVS = orig })
}

func runIPVSCmd(args ...string) (code int, stdout, stderr string) {
	var o, e bytes.Buffer
	code = dispatch(append([]string{"ipvs"}, args...), &o, &e)
	return code, o.String(), e.String()
}

func ipvsLines(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(strings.TrimSuffix(s, "\n"), "\n")
}

func TestIPVSApplyThenNothing(t *testing.T) {
	m := lvs.NewMemory()
	withMemoryIPVS(t, m)
	code, out, errOut := runIPVSCmd("-c", ipvsSeedConfig)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if diff := cmp.Diff(ipvsSeedOps, ipvsLines(out)); diff != "" {
		t.Errorf("ops (-want +got):\n%s", diff)
	}
	before := m.Changes()
	code, out, errOut = runIPVSCmd("-c", ipvsSeedConfig)
	if code != exitOK || out != "" || m.Changes() != before {
		t.Errorf("second run: exit %d, ops %q, %d kernel changes; want 0, none, none", code, out, m.Changes()-before)
	}
	if !strings.Contains(errOut, "0 operations applied") {
		t.Errorf("second run said %q", errOut)
	}
}

func TestIPVSDryRunChangesNothing(t *testing.T) {
	m := lvs.NewMemory()
	withMemoryIPVS(t, m)
	code, out, errOut := runIPVSCmd("--dry-run", ipvsSeedConfig)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if diff := cmp.Diff(ipvsSeedOps, ipvsLines(out)); diff != "" {
		t.Errorf("ops (-want +got):\n%s", diff)
	}
	if m.Changes() != 0 {
		t.Errorf("dry run made %d kernel changes", m.Changes())
	}
}

func TestIPVSFailedOperation(t *testing.T) {
	m := lvs.NewMemory()
	m.Fail = func(o lvs.Op) error {
		if o.Kind == lvs.AddService {
			return syscall.EINVAL
		}
		return nil
	}
	withMemoryIPVS(t, m)
	code, _, errOut := runIPVSCmd("-c", ipvsSeedConfig)
	if code != exitFailure || !strings.Contains(errOut, "-A -t 10.10.10.22:80 -s wrr") || !strings.Contains(errOut, "invalid argument") {
		t.Errorf("exit %d, stderr %q; want 1 naming the failed operation and the kernel's error", code, errOut)
	}
}

func TestIPVSMissingKernelSupport(t *testing.T) {
	if _, err := os.Stat("/proc/net/ip_vs"); err == nil {
		t.Skip("this kernel has IPVS")
	}
	code, out, errOut := runIPVSCmd("-c", ipvsSeedConfig)
	if code != exitFailure || out != "" {
		t.Errorf("exit %d, stdout %q; want 1 and nothing", code, out)
	}
	if want := "IPVS is not available in this kernel: load it with 'modprobe ip_vs'\n"; errOut != want {
		t.Errorf("stderr %q, want %q", errOut, want)
	}
}

func TestIPVSBadInput(t *testing.T) {
	withMemoryIPVS(t, lvs.NewMemory())
	if code, _, _ := runIPVSCmd(); code != exitUsage {
		t.Errorf("no file: exit %d, want %d", code, exitUsage)
	}
	if code, _, _ := runIPVSCmd("-c", "a", "b"); code != exitUsage {
		t.Errorf("extra argument: exit %d, want %d", code, exitUsage)
	}
	bad := filepath.Join(t.TempDir(), "bad.hcl")
	os.WriteFile(bad, []byte(`virtual_server "10.0.0.1:80" { lb_algo = "nosuch" }`), 0o644)
	if code, out, errOut := runIPVSCmd("-c", bad); code != exitFailure || out != "" || !strings.Contains(errOut, "bad.hcl:1") {
		t.Errorf("invalid config: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	if code, _, errOut := runIPVSCmd("-h"); code != exitOK || !strings.Contains(errOut, "ipvsadm") {
		t.Errorf("-h: exit %d, %q", code, errOut)
	}
}
