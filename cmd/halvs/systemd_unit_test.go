package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/halvs/halvs/config"
	"github.com/halvs/halvs/control"
)

const unitFile = "../../examples/systemd/halvs.service"

// TestSystemdUnitExecStart: the example unit's command line is one halvs accepts.
func TestSystemdUnitExecStart(t *testing.T) {
	unit, err := os.ReadFile(unitFile)
	if err != nil {
		t.Fatal(err)
	}
	var cmdline []string
	for _, line := range strings.Split(string(unit), "\n") {
		if v, ok := strings.CutPrefix(line, "ExecStart="); ok {
			cmdline = strings.Fields(v)
		}
	}
	if len(cmdline) < 2 || cmdline[0] != "/usr/local/sbin/halvs" {
		t.Fatalf("ExecStart = %q, want /usr/local/sbin/halvs (where the unit's comments install it) and a command", cmdline)
	}
	// The same flags with a file that is not there: halvs gets as far as reading it.
	args := append([]string(nil), cmdline[1:]...)
	args[len(args)-1] = filepath.Join(t.TempDir(), "halvs.hcl")
	var stdout, stderr bytes.Buffer
	if code := dispatch(args, &stdout, &stderr); code != exitFailure || !strings.Contains(stderr.String(), "cannot read config") {
		t.Errorf("halvs %q: exit %d, stderr:\n%s", args, code, stderr.String())
	}
}

// unitCommand returns the fields of the unit's KEY= line.
func unitCommand(t *testing.T, key string) []string {
	t.Helper()
	unit, err := os.ReadFile(unitFile)
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(unit), "\n") {
		if v, ok := strings.CutPrefix(line, key+"="); ok {
			return strings.Fields(v)
		}
	}
	t.Fatalf("the unit has no %s=", key)
	return nil
}

// flagValue returns the word after flag in cmdline, "" when flag is absent.
func flagValue(cmdline []string, flag string) string {
	for i, w := range cmdline[:len(cmdline)-1] {
		if w == flag {
			return cmdline[i+1]
		}
	}
	return ""
}

// TestSystemdUnitExecReload: `systemctl reload` runs `halvs reload` on the file and the
// control socket the unit's daemon uses, and that command line fails when halvs refuses
// the file (so systemctl reports it) and succeeds when it reloads.
func TestSystemdUnitExecReload(t *testing.T) {
	start, reload := unitCommand(t, "ExecStart"), unitCommand(t, "ExecReload")
	if len(reload) < 2 || reload[0] != start[0] || reload[1] != "reload" {
		t.Fatalf("ExecReload = %q, want %s reload ...", reload, start[0])
	}
	if got, want := flagValue(reload, "-c"), flagValue(start, "-c"); got != want {
		t.Errorf("ExecReload's -c %q, ExecStart's %q: want the same file", got, want)
	}
	// The unit's daemon runs the example config, which leaves control_socket at its default.
	if got := flagValue(reload, "--socket"); got != config.DefaultControlSocket {
		t.Errorf("ExecReload's --socket %q, want the daemon's %s", got, config.DefaultControlSocket)
	}

	tests := []struct {
		name   string
		answer func() (*control.ReloadResult, error)
		code   int
	}{
		{"refused", refused, exitFailure},
		{"reloaded", reloaded("global: changed"), exitOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &fakeReloads{answers: []func() (*control.ReloadResult, error){tt.answer}}
			sock := serveControl(t, control.Handlers{Reload: f.reload})
			args := append([]string(nil), reload[1:]...)
			args[slices.Index(args, "--socket")+1] = sock
			var stdout, stderr bytes.Buffer
			if code := dispatch(args, &stdout, &stderr); code != tt.code {
				t.Errorf("halvs %q: exit %d, want %d; stderr:\n%s", args, code, tt.code, stderr.String())
			}
			if diff := cmp.Diff([]control.ReloadRequest{{ConfigFile: flagValue(reload, "-c")}}, f.requests()); diff != "" {
				t.Errorf("requests (-want +got):\n%s", diff)
			}
		})
	}
}

// TestSystemdUnitVerifies runs systemd-analyze verify on the example unit (with ExecStart
// pointing at an executable that exists here); skipped where systemd-analyze is missing.
// verify exits 0 on ignored lines (a typo in a key or value), so any output fails too.
func TestSystemdUnitVerifies(t *testing.T) {
	tool, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Skip("systemd-analyze not installed")
	}
	unit, err := os.ReadFile(unitFile)
	if err != nil {
		t.Fatal(err)
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "halvs.service")
	if err := os.WriteFile(path, bytes.ReplaceAll(unit, []byte("/usr/local/sbin/halvs"), []byte(self)), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(tool, "verify", path).CombinedOutput()
	if err != nil || len(bytes.TrimSpace(out)) > 0 {
		t.Errorf("systemd-analyze verify: %v\n%s", err, out)
	}
}
