package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/halvs/halvs/control"
)

// TestRunRefusesHostileReloads runs `halvs run` in a fresh network namespace and reloads
// it with files the loader must refuse without harm: a config nested 100,000 deep (which
// overflowed hcl's parser's stack and killed the daemon) on SIGHUP, then a FIFO at the
// config's path, by SIGHUP and over the control socket. Each is refused, the daemon keeps
// serving its old config (status answers, the VIP stays) and the reload lock is free
// again at once.
func TestRunRefusesHostileReloads(t *testing.T) {
	ns := vethNS(t, "hl", "run", "hd")

	dir := t.TempDir()
	path := filepath.Join(dir, "halvs.hcl")
	sock := filepath.Join(dir, "halvs.sock")
	global := fmt.Sprintf("global {\n  router_id = \"OLD\"\n  control_socket = %q\n}\n", sock)
	if err := os.WriteFile(path, []byte(global+instanceHCL("VI_1", "51", "192.0.2.100/24")), 0o644); err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	p := startHalvs(t, ns, nil, "-c", path, "--max-config-size", "1000000")
	cmd, logs := p.cmd, p.logs
	hasVIP := func() bool {
		return strings.Contains(ns.Run("ip", "-o", "addr", "show", "dev", "hd0"), " 192.0.2.100/24 ")
	}
	waitFor(t, "VI_1 MASTER with its VIP", func() bool {
		return strings.Contains(logs.String(), `msg="Entering MASTER STATE" instance=VI_1`) && hasVIP()
	})
	client := control.NewClient(sock)
	serving := func(when string) {
		t.Helper()
		sctx, scancel := context.WithTimeout(ctx, 5*time.Second)
		defer scancel()
		st, err := client.Status(sctx)
		if err != nil {
			t.Fatalf("%s: status: %v", when, err)
		}
		if st.RouterID != "OLD" || len(st.Instances) != 1 || st.Instances[0].State != "MASTER" {
			t.Fatalf("%s: status shows router_id %q, instances %+v; want the old config, VI_1 MASTER", when, st.RouterID, st.Instances)
		}
		if !hasVIP() {
			t.Fatalf("%s: the VIP is gone", when)
		}
	}
	refusals := func() int { return strings.Count(logs.String(), "reload refused") }

	// 1. Nested 100,000 deep: refused at the first level too deep.
	nested := "global {\n  router_id = " + strings.Repeat("[", 100_000) + strings.Repeat("]", 100_000) + "\n}\n"
	if err := os.WriteFile(path, []byte(nested), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the nested config's reload refused", func() bool { return refusals() == 1 })
	if want := "nesting deeper than 64 levels"; !strings.Contains(logs.String(), want) {
		t.Errorf("log lacks %q", want)
	}
	serving("after the nested config")

	// 2. A FIFO nobody writes to, at the config's path: refused without blocking, by SIGHUP
	// and over the control socket, which would be refused as busy if the SIGHUP's reload
	// still held the lock.
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(path, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the FIFO's reload refused", func() bool { return refusals() == 2 })
	var err error
	waitFor(t, "a control-socket reload that is not busy", func() bool {
		rctx, rcancel := context.WithTimeout(ctx, 5*time.Second)
		defer rcancel()
		_, err = client.Reload(rctx, control.ReloadRequest{})
		return !errors.Is(err, control.ErrBusy)
	})
	if !errors.Is(err, control.ErrReloadFailed) || !strings.Contains(err.Error(), "not a regular file (a FIFO)") {
		t.Errorf("control-socket reload of a FIFO: %v, want it refused as not a regular file", err)
	}
	serving("after the FIFO")
	select {
	case <-p.exited:
		t.Fatalf("halvs run exited: %v", p.err)
	default:
	}
}
