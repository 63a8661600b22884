//go:build integration

package integration

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/halvs/halvs/control"
	"github.com/halvs/halvs/internal/testutil"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Impl names a VRRP implementation that can run as a director.
type Impl string

const (
	Halvs      Impl = "halvs"
	Keepalived Impl = "keepalived"
)

// Director is a running halvs or keepalived process inside a director's namespace. The test
// owns it: it is killed by PID when the test ends, whatever happened.
type Director struct {
	Impl Impl
	Node *Node
	Conf string // path of the configuration file
	Dir  string // per-process directory: config, pid files
	// RunDir holds halvs' control socket and VIP record: one per node, shared by every
	// halvs started there (Dir for keepalived).
	RunDir string

	// render is the configuration file for an Instance on this director, as StartDirector
	// wrote it: Rewrite writes another for a reload.
	render func(Instance) string

	cmd  *exec.Cmd
	out  *syncBuffer
	done chan struct{}
	err  error // Wait's result, valid after done is closed
}

// syncBuffer collects a process's output; the process writes while the test reads.
type syncBuffer = testutil.Buffer

// HalvsBinary is the halvs executable the tests run: $HALVS_BIN, or bin/halvs at the
// repository root (`make integration` builds it first).
func HalvsBinary() string {
	if p := os.Getenv("HALVS_BIN"); p != "" {
		return p
	}
	for _, p := range []string{"../bin/halvs", "bin/halvs"} {
		if abs, err := filepath.Abs(p); err == nil {
			if _, err := os.Stat(abs); err == nil {
				return abs
			}
		}
	}
	return "halvs"
}

// HalvsRunAvailable reports whether the halvs binary has the run command, and why not.
func HalvsRunAvailable() (bool, string) {
	bin := HalvsBinary()
	out, err := exec.Command(bin, "help").Output()
	if err != nil {
		return false, fmt.Sprintf("%s help: %v (run make build)", bin, err)
	}
	for _, line := range strings.Split(string(out), "\n") {
		if f := strings.Fields(line); len(f) > 0 && f[0] == "run" {
			return true, ""
		}
	}
	return false, fmt.Sprintf("%s has no run command yet (halvs help does not list it)", bin)
}

// RequireImpl skips the test when impl cannot run here.
func RequireImpl(t testing.TB, impl Impl) {
	t.Helper()
	switch impl {
	case Halvs:
		if ok, why := HalvsRunAvailable(); !ok {
			t.Skipf("halvs director not available: %s", why)
		}
	case Keepalived:
		if _, err := exec.LookPath("keepalived"); err != nil {
			t.Skip("keepalived is not installed (scripts/install-deps.sh installs it)")
		}
	}
}

// StartDirector writes in's configuration for impl into a fresh directory and starts impl
// inside node's namespace. peer is the other director (for unicast). extra is appended to
// the command line (such as halvs' --log-level debug).
func StartDirector(t testing.TB, impl Impl, node, peer *Node, in Instance, extra ...string) *Director {
	t.Helper()
	dir, err := os.MkdirTemp(t.TempDir(), string(impl)+"-"+node.Name+"-")
	if err != nil {
		t.Fatal(err)
	}
	d := &Director{Impl: impl, Node: node, Dir: dir, out: &syncBuffer{}, done: make(chan struct{})}
	var args []string
	switch impl {
	case Keepalived:
		d.Conf = filepath.Join(dir, "keepalived.conf")
		// -P: VRRP only (this kernel has no IPVS for the checker side). -n: no fork of the
		// parent, so the test's PID is keepalived's. -l -G -D: log to the console, not syslog,
		// in detail. -R: a killed VRRP child is not respawned (the crash must stay a crash).
		// Each process gets its own pid files, so several run at once.
		args = []string{"keepalived", "-P", "-n", "-l", "-G", "-D", "-R", "-f", d.Conf,
			"-p", filepath.Join(dir, "keepalived.pid"), "-r", filepath.Join(dir, "vrrp.pid"),
			"-i", node.Name}
	case Halvs:
		d.Conf = filepath.Join(dir, "halvs.hcl")
		args = []string{HalvsBinary(), "run", "-c", d.Conf}
	default:
		t.Fatalf("unknown implementation %q", impl)
	}
	args = append(args, extra...)
	d.RunDir = dir
	if impl == Halvs {
		// A restarted halvs finds what the last one on this node left, as under systemd:
		// its control socket and, beside it, the record of the VIPs it added.
		d.RunDir = nodeRunDir(t, node)
	}
	d.render = func(in Instance) string { return in.Render(impl, node, peer, d.RunDir) }
	if err := os.WriteFile(d.Conf, []byte(d.render(in)), 0o644); err != nil {
		t.Fatal(err)
	}
	d.cmd = node.NS.Command(context.Background(), args[0], args[1:]...)
	d.cmd.Stdout, d.cmd.Stderr = d.out, d.out
	if err := d.cmd.Start(); err != nil {
		t.Fatalf("start %s in %s: %v", impl, node.NS.Name, err)
	}
	go func() { d.err = d.cmd.Wait(); close(d.done) }()
	t.Cleanup(func() {
		d.Kill()
		if t.Failed() {
			t.Logf("%s on %s, config %s:\n%s\noutput:\n%s", impl, node.Name, d.Conf, d.config(), d.Output())
		}
	})
	return d
}

// nodeRunDir is halvs' runtime directory on node (control socket, VIP record), the same for
// every halvs the test starts there; it is removed when the test ends. The namespace's name
// is unique on the machine, so the directory is too.
func nodeRunDir(t testing.TB, node *Node) string {
	t.Helper()
	dir := filepath.Join(os.TempDir(), "halvs-run-"+node.NS.Name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

func (d *Director) config() string {
	b, _ := os.ReadFile(d.Conf)
	return string(b)
}

// Output returns what the process has logged so far.
func (d *Director) Output() string { return d.out.String() }

// PID is the process the test started (ip netns exec execs the director, so it is the
// director's own PID; for keepalived, the parent).
func (d *Director) PID() int { return d.cmd.Process.Pid }

// Exited reports whether the process has ended.
func (d *Director) Exited() bool {
	select {
	case <-d.done:
		return true
	default:
		return false
	}
}

// vrrpPID returns the PID of the process that speaks VRRP: the director itself for halvs,
// keepalived's VRRP child (from its pid file) for keepalived; 0 if it has none.
func (d *Director) vrrpPID() int {
	if d.Impl != Keepalived {
		return d.PID()
	}
	b, err := os.ReadFile(filepath.Join(d.Dir, "vrrp.pid"))
	if err != nil {
		return 0
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || pid <= 1 || pid == d.PID() {
		return 0
	}
	return pid
}

// WaitReady waits until the director is up: for keepalived, until its VRRP child exists.
func (d *Director) WaitReady(timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		if d.Exited() {
			return fmt.Errorf("%s on %s exited: %v\n%s", d.Impl, d.Node.Name, d.err, d.Output())
		}
		if d.vrrpPID() != 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s on %s not ready after %v\n%s", d.Impl, d.Node.Name, timeout, d.Output())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Kill crashes the director: SIGKILL to the process that speaks VRRP (keepalived's VRRP child
// first, so that no graceful priority-0 advert goes out; -R keeps the parent from respawning
// it), then to the process the test started. It waits for the started process to end.
func (d *Director) Kill() {
	if d.Exited() {
		return
	}
	if pid := d.vrrpPID(); pid != 0 && pid != d.PID() {
		_ = syscall.Kill(pid, syscall.SIGKILL)
	}
	_ = d.cmd.Process.Signal(syscall.SIGKILL)
	<-d.done
}

// Stop stops the director gracefully (SIGTERM: priority-0 advert, VIPs released) and waits
// up to timeout for it to exit; then it kills it and reports an error.
func (d *Director) Stop(timeout time.Duration) error {
	if d.Exited() {
		return nil
	}
	_ = d.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-d.done:
		if d.err != nil && !isSignalExit(d.err) {
			return fmt.Errorf("%s on %s: %v", d.Impl, d.Node.Name, d.err)
		}
		return nil
	case <-time.After(timeout):
		d.Kill()
		return fmt.Errorf("%s on %s did not stop within %v of SIGTERM", d.Impl, d.Node.Name, timeout)
	}
}

// HalvsStatus is the document `halvs status --json` prints.
type HalvsStatus = control.Status

// statusDrops sums an advert drop reason over the instances of a halvs status.
func statusDrops(s HalvsStatus, reason string) uint64 {
	var n uint64
	for _, in := range s.Instances {
		n += in.Counters.Drops[reason]
	}
	return n
}

// Status asks a halvs director for its status over its control socket (halvs status --json).
func (d *Director) Status() (HalvsStatus, error) {
	var st HalvsStatus
	if d.Impl != Halvs {
		return st, fmt.Errorf("%s has no halvs status", d.Impl)
	}
	cmd := exec.Command(HalvsBinary(), "status", "--json", "--socket", filepath.Join(d.RunDir, "halvs.sock"))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return st, fmt.Errorf("halvs status on %s: %v: %s", d.Node.Name, err, stderr.String())
	}
	if err := json.Unmarshal(out, &st); err != nil {
		return st, fmt.Errorf("halvs status on %s: %v: %s", d.Node.Name, err, out)
	}
	return st, nil
}

// Rewrite replaces the director's configuration file with in's, whole (a new file renamed
// over the old, so that a reload never reads half of it). Signal(SIGHUP) then reloads it.
func (d *Director) Rewrite(in Instance) error {
	tmp := d.Conf + ".new"
	if err := os.WriteFile(tmp, []byte(d.render(in)), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, d.Conf)
}

// Signal sends sig to the director (SIGHUP: reload).
func (d *Director) Signal(sig syscall.Signal) error { return d.cmd.Process.Signal(sig) }

func isSignalExit(err error) bool {
	var ee *exec.ExitError
	return errors.As(err, &ee) && !ee.Exited()
}
