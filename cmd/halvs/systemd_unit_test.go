package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
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
