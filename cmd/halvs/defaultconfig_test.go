package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/halvs/halvs/config"
)

// withDefaultConfig points defaultConfig at a file holding src ("" for no file) for the test.
func withDefaultConfig(t *testing.T, src string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "halvs.hcl")
	if src != "" {
		if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	old := defaultConfig
	defaultConfig = path
	t.Cleanup(func() { defaultConfig = old })
	return path
}

// TestDefaultConfig: a command given no -c reads /etc/halvs/halvs.hcl (the unit's file).
func TestDefaultConfig(t *testing.T) {
	withDefaultConfig(t, validConfig)
	for _, args := range [][]string{{"check"}, {"-t"}} {
		var stdout, stderr bytes.Buffer
		if code := dispatch(args, &stdout, &stderr); code != exitOK || !strings.Contains(stdout.String(), "config OK") {
			t.Errorf("halvs %q: exit %d\nstdout:\n%s\nstderr:\n%s", args, code, stdout.String(), stderr.String())
		}
	}
}

// TestSocketPathDefault: with neither -c nor --socket, the control socket is the default
// config's when that file is there and valid, else /run/halvs.sock.
func TestSocketPathDefault(t *testing.T) {
	tests := []struct {
		name, src, want string
	}{
		{"the default config's socket", "global {\n  control_socket = \"/run/halvs-b.sock\"\n}\n", "/run/halvs-b.sock"},
		{"no default config", "", config.DefaultControlSocket},
		{"an invalid default config", "global {\n", config.DefaultControlSocket},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			withDefaultConfig(t, tt.src)
			got, err := socketPath("", "")
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
	// --socket and -c still come first.
	withDefaultConfig(t, tests[0].src)
	if got, _ := socketPath("", "/tmp/x.sock"); got != "/tmp/x.sock" {
		t.Errorf("--socket: %q", got)
	}
}
