package main

import (
	"bytes"
	"context"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/halvs/halvs/control"
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
	if code, _, errOut := runIPVSCmd(); code != exitFailure || !strings.Contains(errOut, defaultConfig) {
		t.Errorf("no file: exit %d, want %d for the default %s; stderr %q", code, exitFailure, defaultConfig, errOut)
	}
	if code, _, _ := runIPVSCmd("-c", "a", "b"); code != exitUsage {
		t.Errorf("extra argument: exit %d, want %d", code, exitUsage)
	}
	bad := filepath.Join(t.TempDir(), "bad.hcl")
	os.WriteFile(bad, []byte(`virtual_server "10.0.0.1:80" { lb_algo = "nosuch" }`), 0o644)
	if code, out, errOut := runIPVSCmd("-c", bad); code != exitFailure || out != "" || !strings.Contains(errOut, "bad.hcl:1") {
		t.Errorf("invalid config: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	if code, out, _ := runIPVSCmd("-h"); code != exitOK || !strings.Contains(out, "ipvsadm") {
		t.Errorf("-h: exit %d, %q", code, out)
	}
}

// seedWithSocket writes the seed config with global.control_socket = sock.
func seedWithSocket(t *testing.T, sock string) string {
	t.Helper()
	seed, err := os.ReadFile(ipvsSeedConfig)
	if err != nil {
		t.Fatal(err)
	}
	src := strings.Replace(string(seed), `router_id = "LVS_DEVEL"`, `router_id = "LVS_DEVEL"`+"\n  control_socket = \""+sock+"\"", 1)
	path := filepath.Join(t.TempDir(), "halvs.hcl")
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestIPVSRefusesLiveDaemon: while a halvs answers on the config's control socket, ipvs
// changes nothing unless --force; --dry-run is always allowed; a stale socket file (its
// halvs died) is no daemon.
func TestIPVSRefusesLiveDaemon(t *testing.T) {
	live := serveControl(t, control.Handlers{Status: func(context.Context) (*control.Status, error) {
		return &control.Status{ConfigFile: "/etc/halvs/halvs.hcl"}, nil
	}})
	stale := filepath.Join(t.TempDir(), "stale.sock")
	l, err := net.ListenUnix("unix", &net.UnixAddr{Name: stale, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	l.SetUnlinkOnClose(false)
	l.Close()

	tests := []struct {
		name    string
		socket  string
		flags   []string
		code    int
		wantOps []string
		wantErr string
	}{
		{name: "daemon running", socket: live, code: exitFailure,
			wantErr: "a halvs daemon answers on " + live + " (running /etc/halvs/halvs.hcl): refusing to change the IPVS table"},
		{name: "daemon running, --dry-run", socket: live, flags: []string{"--dry-run"}, code: exitOK, wantOps: ipvsSeedOps},
		{name: "daemon running, --force", socket: live, flags: []string{"--force"}, code: exitOK, wantOps: ipvsSeedOps},
		{name: "stale socket", socket: stale, code: exitOK, wantOps: ipvsSeedOps},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := lvs.NewMemory()
			withMemoryIPVS(t, m)
			code, out, errOut := runIPVSCmd(append(tt.flags, "-c", seedWithSocket(t, tt.socket))...)
			if code != tt.code {
				t.Errorf("exit %d, want %d; stderr:\n%s", code, tt.code, errOut)
			}
			if diff := cmp.Diff(tt.wantOps, ipvsLines(out)); diff != "" {
				t.Errorf("ops (-want +got):\n%s", diff)
			}
			if !strings.Contains(errOut, tt.wantErr) {
				t.Errorf("stderr lacks %q:\n%s", tt.wantErr, errOut)
			}
			applied := 0
			if tt.code == exitOK && !slices.Contains(tt.flags, "--dry-run") {
				applied = len(ipvsSeedOps)
			}
			if m.Changes() != applied {
				t.Errorf("%d kernel changes, want %d", m.Changes(), applied)
			}
		})
	}
}
