package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/halvs/halvs/control"
)

const reloadNSInstance = `vrrp_instance "%s" {
  interface         = "hr0"
  virtual_router_id = %d
  priority          = 150
  version           = 3
  advert_int        = "100ms"
  virtual_ipaddress = ["%s"]
}
`

// TestReloadCommandInNamespace runs `halvs run` in a fresh network namespace and drives it
// with `halvs reload` as systemd's ExecReload does: a broken file exits 1 with its
// FILE:LINE:COL errors while halvs keeps serving the old config (its status and its VIP say
// so); a good file exits 0, and the change shows in status.
func TestReloadCommandInNamespace(t *testing.T) {
	ns := vethNS(t, "hr", "run", "hr")

	dir := t.TempDir()
	path, sock := filepath.Join(dir, "halvs.hcl"), filepath.Join(dir, "halvs.sock")
	write := func(s string) {
		t.Helper()
		if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	global := fmt.Sprintf("global {\n  control_socket = %q\n}\n", sock)
	vi1 := fmt.Sprintf(reloadNSInstance, "VI_1", 61, "192.0.2.100/24")
	write(global + vi1)

	p := startHalvs(t, ns, nil, "-c", path)
	cmd, logs := p.cmd, p.logs
	hasAddr := func(a string) bool {
		return strings.Contains(ns.Run("ip", "-o", "addr", "show", "dev", "hr0"), " "+a+" ")
	}
	waitFor(t, "VI_1 MASTER with its VIP", func() bool {
		return strings.Contains(logs.String(), `msg="Entering MASTER STATE" instance=VI_1`) && hasAddr("192.0.2.100/24")
	})

	// What the operator sees: `halvs status --json`, from this process (the socket is a
	// file, reachable from any network namespace).
	instances := func() []string {
		t.Helper()
		var stdout, stderr bytes.Buffer
		if code := dispatch([]string{"status", "--json", "--socket", sock}, &stdout, &stderr); code != exitOK {
			t.Fatalf("halvs status: exit %d: %s", code, stderr.String())
		}
		var st control.Status
		if err := json.Unmarshal(stdout.Bytes(), &st); err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, in := range st.Instances {
			names = append(names, in.Name+" "+in.State)
		}
		return names
	}
	reload := func() (int, string, string) {
		var stdout, stderr bytes.Buffer
		code := dispatch([]string{"reload", "-c", path, "--socket", sock}, &stdout, &stderr)
		return code, stdout.String(), stderr.String()
	}

	// A broken file: exit 1 with its errors; VI_1 still MASTER, still holding its VIP.
	write(global + "vrrp_instance \"VI_1\" {\n  interface = \n}\n")
	code, stdout, stderr := reload()
	if code != exitFailure {
		t.Errorf("reload of a broken file: exit %d, want %d", code, exitFailure)
	}
	for _, want := range []string{path + ":5:", ": error: ", "halvs reload: reload failed: " + path + " has 1 error; the running configuration is kept"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("reload of a broken file: stderr lacks %q:\n%s", want, stderr)
		}
	}
	if stdout != "" {
		t.Errorf("reload of a broken file printed on stdout: %q", stdout)
	}
	if got := instances(); !slices.Equal(got, []string{"VI_1 MASTER"}) || !hasAddr("192.0.2.100/24") {
		t.Errorf("after the refused reload: instances %q, VIP held %v; want VI_1 MASTER with its VIP", got, hasAddr("192.0.2.100/24"))
	}

	// A good file, within a second of the refused one: halvs is busy for that second and
	// reload waits its turn, then exits 0 naming the change, which status shows.
	write(global + vi1 + fmt.Sprintf(reloadNSInstance, "VI_2", 62, "192.0.2.101/24"))
	code, stdout, stderr = reload()
	if code != exitOK {
		t.Fatalf("reload of a good file: exit %d, stderr:\n%s", code, stderr)
	}
	if want := "reloaded " + path + ": 1 change\n  vrrp_instance VI_2: added\n"; stdout != want {
		t.Errorf("reload of a good file printed %q, want %q", stdout, want)
	}
	waitFor(t, "VI_2 MASTER in status", func() bool { return slices.Contains(instances(), "VI_2 MASTER") })
	if !hasAddr("192.0.2.100/24") || !hasAddr("192.0.2.101/24") {
		t.Error("after the good reload, a VIP is missing")
	}

	// Another file than the one halvs runs is refused; nothing changes.
	other := filepath.Join(dir, "other.hcl")
	if err := os.WriteFile(other, []byte(global+vi1), 0o644); err != nil {
		t.Fatal(err)
	}
	var errb bytes.Buffer
	if code := dispatch([]string{"reload", "-c", other}, &bytes.Buffer{}, &errb); code != exitFailure ||
		!strings.Contains(errb.String(), "this halvs runs "+path+" and reloads only that file") {
		t.Errorf("reload -c %s: exit %d, stderr:\n%s", other, code, errb.String())
	}
	if got := instances(); !slices.Contains(got, "VI_2 MASTER") {
		t.Errorf("a refused request for another file changed the instances: %q", got)
	}

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-p.exited:
		if p.err != nil {
			t.Errorf("halvs run exited with %v, want status 0", p.err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("halvs run did not stop on SIGTERM")
	}
}
