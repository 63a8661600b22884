package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCheckExitCodes(t *testing.T) {
	dir := t.TempDir()
	write := func(name, src string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	seed := filepath.Join("..", "..", "examples", "seed", "director-a.hcl")
	bad := write("bad.hcl", "vrrp_instance \"VI_1\" {\n  interface = \"eth0\"\n  virtual_router_id = 256\n  virtual_ipaddress = [\"192.0.2.1\"]\n}\n")
	warn := write("warn.hcl", "virtual_server \"10.0.0.1:53\" {\n}\n")
	tests := []struct {
		name       string
		args       []string
		want       int
		wantStdout string
		wantStderr string
	}{
		{"seed --config", []string{"check", "--config", seed}, exitOK, "config OK: 1 vrrp_instance, 1 virtual_server, 2 real_servers\n", ""},
		{"seed -c", []string{"check", "-c", seed}, exitOK, "config OK:", ""},
		{"keepalived -t -c", []string{"-t", "-c", seed}, exitOK, "config OK:", ""},
		{"keepalived -t -f", []string{"-t", "-f", seed}, exitOK, "config OK:", ""},
		{"lone argument", []string{"check", seed}, exitOK, "config OK:", ""},
		{"invalid", []string{"check", "-c", bad}, exitFailure, "",
			bad + ":3:23: error: virtual_router_id must be a whole number from 1 to 255, not 256\n" + bad + ": 1 error\n"},
		{"warning only", []string{"check", "-c", warn}, exitOK, "config OK: 0 vrrp_instances, 1 virtual_server, 0 real_servers",
			warn + ":1:1: warning: virtual_server \"10.0.0.1:53\" has no protocol"},
		{"missing file", []string{"check", "-c", filepath.Join(dir, "nope.hcl")}, exitFailure, "", "error: cannot read config"},
		{"no file: the default", []string{"check"}, exitFailure, "", defaultConfig + ": error: cannot read config"},
		{"bad flag", []string{"check", "--bogus"}, exitUsage, "", "flag provided but not defined: -bogus"},
		{"two files", []string{"check", seed, seed}, exitUsage, "", "unexpected argument"},
		{"help", []string{"check", "-h"}, exitOK, "Usage: halvs check [-c FILE]", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr strings.Builder
			got := dispatch(tc.args, &stdout, &stderr)
			if got != tc.want {
				t.Errorf("exit = %d, want %d; stderr:\n%s", got, tc.want, stderr.String())
			}
			if !strings.Contains(stdout.String(), tc.wantStdout) || tc.wantStdout == "" && stdout.Len() > 0 {
				t.Errorf("stdout = %q, want it to contain %q", stdout.String(), tc.wantStdout)
			}
			if !strings.Contains(stderr.String(), tc.wantStderr) || tc.wantStderr == "" && stderr.Len() > 0 {
				t.Errorf("stderr = %q, want it to contain %q", stderr.String(), tc.wantStderr)
			}
		})
	}
}
