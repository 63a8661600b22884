package netnstest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
)

// labSeq tells apart the labs of one test binary (tests may run in parallel).
var labSeq atomic.Uint32

// Lab names and owns the namespaces of one test. Its methods call t.Fatal on failure and must
// be called from the test's goroutine.
type Lab struct {
	t      testing.TB
	prefix string
	suffix string // "-<pid>" or "-<pid>-<n>": unique among all labs on this machine
	links  atomic.Uint32
}

// New returns a Lab whose names all start with prefix. It skips the test when it is not
// running as root, when iproute2's ip command is missing, or when a network namespace cannot be
// made (a container without CAP_SYS_ADMIN, for instance).
func New(t testing.TB, prefix string) *Lab {
	t.Helper()
	if prefix == "" || strings.ContainsAny(prefix, "/ ") {
		t.Fatalf("netnstest: prefix %q must be a non-empty name", prefix)
	}
	if os.Geteuid() != 0 {
		t.Skip("netnstest: needs root to create network namespaces")
	}
	if _, err := exec.LookPath("ip"); err != nil {
		t.Skip("netnstest: iproute2's ip command is not installed")
	}
	l := &Lab{t: t, prefix: prefix, suffix: fmt.Sprintf("-%d", os.Getpid())}
	if n := labSeq.Add(1); n > 1 {
		l.suffix += fmt.Sprintf("-%d", n-1)
	}
	return l
}

// Prefix is the caller-given prefix every name in this lab starts with.
func (l *Lab) Prefix() string { return l.prefix }

// NS is a named network namespace made by a Lab, removed by the test's cleanup.
type NS struct {
	// Name is the namespace's name as `ip netns list` shows it: prefix-short-pid.
	Name string
	// Handle is a netlink handle inside the namespace.
	Handle *netlink.Handle

	t  testing.TB
	ns netns.NsHandle
}

// NewNS creates the namespace PREFIX-short-PID with lo up, and IPv6 duplicate address detection
// off so that link-local and test addresses are usable at once (no test here is about DAD, and
// waiting for it would only add seconds). The namespace is deleted by t.Cleanup.
func (l *Lab) NewNS(short string) *NS {
	t := l.t
	t.Helper()
	name := l.prefix + "-" + short + l.suffix
	if out, err := exec.Command("ip", "netns", "add", name).CombinedOutput(); err != nil {
		t.Skipf("netnstest: cannot create network namespace %s: %v: %s", name, err, trim(out))
	}
	n := &NS{Name: name, t: t, ns: netns.None()}
	t.Cleanup(func() { n.remove() })

	h, err := netns.GetFromName(name)
	if err != nil {
		t.Fatalf("netnstest: open namespace %s: %v", name, err)
	}
	n.ns = h
	// Route netlink only: a handle for every family fails on a kernel without some (XFRM in
	// the VM tier's cloud kernel).
	n.Handle, err = netlink.NewHandleAt(h, syscall.NETLINK_ROUTE)
	if err != nil {
		t.Fatalf("netnstest: netlink in %s: %v", name, err)
	}
	lo, err := n.Handle.LinkByName("lo")
	if err == nil {
		err = n.Handle.LinkSetUp(lo)
	}
	if err != nil {
		t.Fatalf("netnstest: bring lo up in %s: %v", name, err)
	}
	for _, key := range []string{"net/ipv6/conf/all/accept_dad", "net/ipv6/conf/default/accept_dad"} {
		if err := n.WriteSysctl(key, "0"); err != nil && !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("netnstest: %v", err)
		}
	}
	return n
}

func (n *NS) remove() {
	if n.Handle != nil {
		n.Handle.Close()
	}
	if n.ns.IsOpen() {
		n.ns.Close()
	}
	if out, err := exec.Command("ip", "netns", "del", n.Name).CombinedOutput(); err != nil {
		n.t.Errorf("netnstest: delete namespace %s: %v: %s", n.Name, err, trim(out))
	}
}

// NsHandle returns the namespace's file handle (owned by the NS; do not close it).
func (n *NS) NsHandle() netns.NsHandle { return n.ns }

// Do runs fn on an OS thread that has entered the namespace and returns fn's error. Sockets fn
// opens stay in the namespace after Do returns; goroutines fn starts do not run in it. The
// thread is never handed back to the Go scheduler: it ends with Do's goroutine, so no other
// goroutine can ever run in the wrong namespace even if switching back would fail.
func (n *NS) Do(fn func() error) error {
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread exits with this goroutine
		if err := netns.Set(n.ns); err != nil {
			errc <- fmt.Errorf("netnstest: enter %s: %w", n.Name, err)
			return
		}
		errc <- fn()
	}()
	return <-errc
}

// MustDo is Do that fails the test on error.
func (n *NS) MustDo(fn func() error) {
	n.t.Helper()
	if err := n.Do(fn); err != nil {
		n.t.Fatal(err)
	}
}

// Command returns `ip netns exec NAME name args...` as an *exec.Cmd for the test to start, so
// the test owns the process and its PID. If the process was started and still runs when the
// test ends, a cleanup kills it (by that PID); the test remains responsible for Wait.
func (n *NS) Command(ctx context.Context, name string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, "ip", append([]string{"netns", "exec", n.Name, name}, args...)...)
	n.t.Cleanup(func() {
		if cmd.Process != nil && cmd.ProcessState == nil {
			_ = cmd.Process.Signal(syscall.SIGKILL)
		}
	})
	return cmd
}

// Run runs a command inside the namespace, fails the test if it fails, and returns its
// standard output.
func (n *NS) Run(name string, args ...string) string {
	n.t.Helper()
	cmd := exec.Command("ip", append([]string{"netns", "exec", n.Name, name}, args...)...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		n.t.Fatalf("netnstest: in %s: %s %s: %v: %s", n.Name, name, strings.Join(args, " "), err, stderr.String())
	}
	return string(out)
}

// WriteSysctl sets a sysctl of this namespace; key is the path under /proc/sys, such as
// "net/ipv4/conf/all/arp_accept". /proc/sys/net resolves against the writing thread's network
// namespace, so the write happens inside Do.
func (n *NS) WriteSysctl(key, value string) error {
	return n.Do(func() error {
		p := filepath.Join("/proc/sys", key)
		if err := os.WriteFile(p, []byte(value), 0o644); err != nil {
			return fmt.Errorf("sysctl %s=%s in %s: %w", key, value, n.Name, err)
		}
		return nil
	})
}

// ReadSysctl reads a sysctl of this namespace (see WriteSysctl).
func (n *NS) ReadSysctl(key string) (string, error) {
	var v string
	err := n.Do(func() error {
		b, err := os.ReadFile(filepath.Join("/proc/sys", key))
		v = strings.TrimSpace(string(b))
		return err
	})
	return v, err
}

func trim(b []byte) string { return strings.TrimSpace(string(b)) }
