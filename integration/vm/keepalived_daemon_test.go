//go:build vmtest

package vm

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// daemon is one director's VRRP+LVS daemon as TestPreemptBench drives it: `halvs run`
// (halvsd) or keepalived (keepalivedd), each started, frozen, killed and stopped alike.
type daemon interface {
	start(t *testing.T)          // (re)start on the same configuration
	freeze()                     // SIGSTOP to every process of it: a crash's first step
	kill(t *testing.T) time.Time // SIGKILL to every process of it, as a crash
	term(t *testing.T)           // SIGTERM (graceful), waiting for it to exit
	stop(t *testing.T)           // term, then clear the namespace (clearDirector)
	waitState(t *testing.T, since time.Time, limit time.Duration, state string) time.Time
	tail(n int) string
}

// freeze stops halvs (one process) where it is.
func (d *halvsd) freeze() { d.cmd.Process.Signal(syscall.SIGSTOP) }

// waitState waits for the log line of a VRRP transition of VI_1 into state at or after since.
func (d *halvsd) waitState(t *testing.T, since time.Time, limit time.Duration, state string) time.Time {
	t.Helper()
	return d.waitLog(t, since, limit, stateWords(state)...)
}

// keepalivedd is one full keepalived (VRRP and checker children) in a director's namespace,
// with a private /run as halvsd has. It runs in its own process group, so that a crash
// freezes and kills the parent and both children at once. Its log (-l -G: to stderr, not
// syslog) is read line by line and stamped on arrival, since keepalived's own stamps have
// whole seconds.
type keepalivedd struct {
	name     string
	host     host
	conf     string
	log      string // every run's lines, stamped, appended
	prestart string // a script run in the namespace before each start (sysctls a reboot resets)

	cmd  *exec.Cmd
	done chan struct{}

	mu    sync.Mutex
	lines []logEntry
}

// startKeepalived starts keepalived -f conf in h's namespace; the test stops it when it ends.
func startKeepalived(t *testing.T, name string, h host, conf, logPath, prestart string) *keepalivedd {
	t.Helper()
	d := &keepalivedd{name: name, host: h, conf: conf, log: logPath, prestart: prestart}
	d.start(t)
	t.Cleanup(func() { d.stop(t) })
	return d
}

func (d *keepalivedd) start(t *testing.T) {
	t.Helper()
	if d.prestart != "" {
		nsRun(t, d.host.ns, d.prestart)
	}
	out, err := os.OpenFile(d.log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	// keepalived's pid files (/run/keepalived.pid, checkers.pid, vrrp.pid) are in the
	// director's own /run, which a reboot (rebuildDirector) empties.
	d.cmd = exec.Command("ip", "netns", "exec", d.host.ns, "sh", "-ec",
		`mkdir -p "$1"; mount -o bind "$1" /run; exec keepalived -n -l -G -f "$0"`, d.conf, runDir(d.host))
	d.cmd.Stdout, d.cmd.Stderr = w, w
	d.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	err = d.cmd.Start()
	w.Close()
	if err != nil {
		r.Close()
		out.Close()
		t.Fatalf("starting keepalived on director %s: %v", d.name, err)
	}
	go func() {
		defer out.Close()
		defer r.Close()
		sc := bufio.NewScanner(r)
		for sc.Scan() {
			e := logEntry{at: time.Now(), line: sc.Text()}
			fmt.Fprintf(out, "%s %s\n", e.at.Format("15:04:05.000000"), e.line)
			d.mu.Lock()
			d.lines = append(d.lines, e)
			d.mu.Unlock()
		}
	}()
	done := make(chan struct{})
	d.done = done
	go func(cmd *exec.Cmd) { cmd.Wait(); close(done) }(d.cmd)
}

func (d *keepalivedd) running() bool {
	select {
	case <-d.done:
		return false
	default:
		return true
	}
}

func (d *keepalivedd) signalGroup(sig syscall.Signal) { syscall.Kill(-d.cmd.Process.Pid, sig) }

func (d *keepalivedd) freeze() { d.signalGroup(syscall.SIGSTOP) }

func (d *keepalivedd) kill(t *testing.T) time.Time {
	t.Helper()
	at := time.Now()
	d.signalGroup(syscall.SIGKILL)
	<-d.done
	return at
}

// term sends SIGTERM to keepalived's parent, which stops its children (the VRRP child sends
// its priority-0 advert and drops the VIP); SIGKILL to the group after 20 s.
func (d *keepalivedd) term(t *testing.T) {
	t.Helper()
	if !d.running() {
		return
	}
	d.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-d.done:
	case <-time.After(20 * time.Second):
		t.Errorf("keepalived on director %s ignored SIGTERM for 20 s; killed", d.name)
		d.signalGroup(syscall.SIGKILL)
		<-d.done
	}
}

func (d *keepalivedd) stop(t *testing.T) {
	t.Helper()
	d.term(t)
	clearDirector(d.host)
}

// waitState waits for keepalived's "(VI_1) Entering STATE STATE" line at or after since.
func (d *keepalivedd) waitState(t *testing.T, since time.Time, limit time.Duration, state string) time.Time {
	t.Helper()
	want := "(VI_1) Entering " + state + " STATE"
	deadline := time.Now().Add(limit)
	for {
		d.mu.Lock()
		for _, e := range d.lines {
			if !e.at.Before(since) && strings.Contains(e.line, want) {
				d.mu.Unlock()
				return e.at
			}
		}
		d.mu.Unlock()
		if time.Now().After(deadline) {
			t.Fatalf("keepalived on director %s: no %q within %v; its log:\n%s", d.name, want, limit, d.tail(40))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (d *keepalivedd) tail(n int) string {
	d.mu.Lock()
	defer d.mu.Unlock()
	lines := d.lines
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	var sb strings.Builder
	for _, e := range lines {
		fmt.Fprintf(&sb, "%s %s\n", e.at.Format("15:04:05.000"), e.line)
	}
	return sb.String()
}
