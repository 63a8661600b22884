package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/halvs/halvs/internal/logtest"
	"github.com/halvs/halvs/lvs"
)

func TestStatusDumpPath(t *testing.T) {
	for in, want := range map[string]string{
		"/run/halvs.sock":         "/run/halvs.status.json",
		"/run/halvs/control.sock": "/run/halvs/control.status.json",
		"/tmp/halvs-b":            "/tmp/halvs-b.status.json",
	} {
		if got := statusDumpPath(in); got != want {
			t.Errorf("statusDumpPath(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestRunSIGUSR1 runs `halvs run --log-format json` in this process on an in-memory IPVS
// table and sends it SIGUSR1: the status, as `halvs status --json` prints it, lands in the
// file beside the control socket and in one JSON log line.
func TestRunSIGUSR1(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "halvs.hcl")
	socket := filepath.Join(dir, "halvs.sock")
	cfg := fmt.Sprintf(`global {
  control_socket = %q
  router_id      = "director-a"
}
virtual_server "192.0.2.10:80" {
  protocol = "TCP"
  real_server "192.0.2.20:80" {}
}
`, socket)
	if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	sig, logs := runInProcess(t, lvs.NewMemory(), "-c", path, "--log-format", "json")
	// A settled table, so that the dump and the status read after it agree.
	waitFor(t, "the real server in the table", func() bool {
		var out bytes.Buffer
		runStatus([]string{"--socket", socket, "--json"}, &out, io.Discard)
		return bytes.Contains(out.Bytes(), []byte(`"in_table": true`))
	})

	dump := filepath.Join(dir, "halvs.status.json")
	sig <- syscall.SIGUSR1
	waitFor(t, "the status file", func() bool { _, err := os.Stat(dump); return err == nil })
	file, err := os.ReadFile(dump)
	if err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(dump); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("%s: mode %v (%v), want 0600", dump, fi.Mode(), err)
	}
	var cli bytes.Buffer
	if code := runStatus([]string{"--socket", socket, "--json"}, &cli, io.Discard); code != exitOK {
		t.Fatalf("halvs status --json: exit %d", code)
	}
	// The same document as `halvs status --json`, its time apart.
	decode := func(b []byte) map[string]any {
		t.Helper()
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatalf("%v:\n%s", err, b)
		}
		delete(m, "time")
		return m
	}
	want := decode(cli.Bytes())
	if diff := cmp.Diff(want, decode(file)); diff != "" {
		t.Errorf("%s against halvs status --json (-want +got):\n%s", dump, diff)
	}
	if want["router_id"] != "director-a" {
		t.Errorf("status without the router_id: %v", want)
	}
	// The log line carries the document as an object.
	var line struct {
		Msg, Path string
		Status    json.RawMessage
	}
	waitFor(t, "the log line", func() bool { return bytes.Contains([]byte(logs.String()), []byte("SIGUSR1")) })
	for _, l := range bytes.Split([]byte(logs.String()), []byte("\n")) {
		if bytes.Contains(l, []byte(`"msg":"SIGUSR1: status written"`)) {
			if err := json.Unmarshal(l, &line); err != nil {
				t.Fatal(err)
			}
		}
	}
	if line.Path != dump || line.Status == nil {
		t.Fatalf("no status line naming %s:\n%s", dump, logs.String())
	}
	if diff := cmp.Diff(decode(file), decode(line.Status)); diff != "" {
		t.Errorf("the logged status against the file (-want +got):\n%s", diff)
	}
	for _, p := range logtest.CheckJSONLines([]byte(logs.String())) {
		t.Error(p)
	}
}
