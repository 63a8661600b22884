package main

import (
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"syscall"
	"testing"
	"time"

	"github.com/halvs/halvs/director"
	"github.com/halvs/halvs/internal/netnstest"
	"github.com/halvs/halvs/lvs"
)

// vethNS makes a fresh namespace (netnstest's names prefixed with prefix) with a veth pair
// DEV0 and DEV1, both up, and 192.0.2.1/24 on DEV0: the link the `halvs run` tests run VRRP
// on.
func vethNS(t *testing.T, prefix, short, dev string) *netnstest.NS {
	t.Helper()
	ns := netnstest.New(t, prefix).NewNS(short)
	ns.Run("ip", "link", "add", dev+"0", "type", "veth", "peer", "name", dev+"1")
	ns.Run("ip", "addr", "add", "192.0.2.1/24", "dev", dev+"0")
	ns.Run("ip", "link", "set", dev+"0", "up")
	ns.Run("ip", "link", "set", dev+"1", "up")
	return ns
}

// halvsProc is this test binary running as `halvs run` in a namespace (startHalvs).
type halvsProc struct {
	cmd    *exec.Cmd
	logs   *syncBuffer   // its stdout and stderr
	exited chan struct{} // closed once it has exited
	err    error         // Wait's result, once exited is closed
}

// startHalvs starts `halvs run ARGS` in ns, with env added to this process's environment.
// On cleanup, a process still running gets SIGTERM (SIGKILL after 10 s), and a failed test
// logs its output.
func startHalvs(t *testing.T, ns *netnstest.NS, env []string, args ...string) *halvsProc {
	t.Helper()
	p := &halvsProc{logs: &syncBuffer{}, exited: make(chan struct{})}
	p.cmd = ns.Command(context.Background(), os.Args[0], append([]string{"run"}, args...)...)
	p.cmd.Env = append(append(os.Environ(), "HALVS_TEST_AS_HALVS=1"), env...)
	p.cmd.Stdout, p.cmd.Stderr = p.logs, p.logs
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.err = p.cmd.Wait(); close(p.exited) }()
	t.Cleanup(func() {
		select {
		case <-p.exited:
		default:
			p.cmd.Process.Signal(syscall.SIGTERM) // by the PID this test started
			select {
			case <-p.exited:
			case <-time.After(10 * time.Second):
				p.cmd.Process.Kill()
				<-p.exited
			}
		}
		if t.Failed() {
			t.Logf("halvs output:\n%s", p.logs.String())
		}
	})
	return p
}

// wait returns the exit status, failing the test if the process runs on for 10 s.
func (p *halvsProc) wait(t *testing.T) int {
	t.Helper()
	select {
	case <-p.exited:
	case <-time.After(10 * time.Second):
		t.Fatalf("halvs run still runs after 10 s:\n%s", p.logs.String())
	}
	var ee *exec.ExitError
	if errors.As(p.err, &ee) {
		return ee.ExitCode()
	}
	if p.err != nil {
		t.Fatal(p.err)
	}
	return 0
}

// runInProcess runs `halvs run ARGS` in this process on table (an in-memory IPVS table),
// with the signals in the test's hands: it returns once halvs run waits for them, with the
// channel to send them on and its log. On cleanup it sends SIGTERM and expects exit status
// 0.
func runInProcess(t *testing.T, table lvs.Backend, args ...string) (chan<- os.Signal, *syncBuffer) {
	t.Helper()
	oldOpts, oldSigs := runOptions, runSignals
	sigs := make(chan chan<- os.Signal, 1)
	runOptions = func(o director.Options) director.Options {
		o.OpenIPVS = func() (lvs.Backend, error) { return table, nil }
		return o
	}
	runSignals = func(ch chan<- os.Signal) func() { sigs <- ch; return func() {} }
	logs := &syncBuffer{}
	exited := make(chan int, 1)
	go func() { exited <- runRun(args, io.Discard, logs) }()
	var sig chan<- os.Signal
	select {
	case sig = <-sigs:
	case code := <-exited:
		runOptions, runSignals = oldOpts, oldSigs
		t.Fatalf("halvs run exited %d:\n%s", code, logs.String())
	}
	t.Cleanup(func() {
		sig <- syscall.SIGTERM
		if code := <-exited; code != exitOK {
			t.Errorf("halvs run exited %d after SIGTERM, want 0:\n%s", code, logs.String())
		}
		runOptions, runSignals = oldOpts, oldSigs
	})
	return sig, logs
}
