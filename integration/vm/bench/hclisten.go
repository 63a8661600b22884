package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync/atomic"
)

// The health-check section's real servers: one child process (this binary with -hc-listen)
// holding n plain-TCP listeners on 127.0.0.1:base.., each accepting and closing, as a real
// server answers a tcp_check. It counts the connections each port accepted, which is how
// the section counts the checks a checker ran, the same way for every checker.
//
// Its protocol, one line each way on stdin/stdout:
//
//	(start)  → "ready"
//	"reset"  → "ok"               ports seen from now on start at none
//	"stat"   → "stat A P"         A: connections accepted since start; P: ports that
//	                              accepted at least one since the last reset

// serveListeners is the child's side; it returns when stdin closes.
func serveListeners(n, base int, in io.Reader, out io.Writer) error {
	counts := make([]atomic.Int64, n)
	seenBase := make([]int64, n)
	var lc net.ListenConfig
	lc.SetMultipathTCP(false) // plain TCP, as most real servers listen (Go's default may be MPTCP)
	for i := range n {
		l, err := lc.Listen(context.Background(), "tcp", "127.0.0.1:"+strconv.Itoa(base+i))
		if err != nil {
			return err
		}
		go func() {
			for {
				c, err := l.Accept()
				if err != nil {
					return
				}
				counts[i].Add(1)
				c.Close()
			}
		}()
	}
	fmt.Fprintln(out, "ready")
	sc := bufio.NewScanner(in)
	for sc.Scan() {
		switch sc.Text() {
		case "reset":
			for i := range counts {
				seenBase[i] = counts[i].Load()
			}
			fmt.Fprintln(out, "ok")
		case "stat":
			var total int64
			seen := 0
			for i := range counts {
				c := counts[i].Load()
				total += c
				if c > seenBase[i] {
					seen++
				}
			}
			fmt.Fprintf(out, "stat %d %d\n", total, seen)
		default:
			fmt.Fprintf(out, "error unknown command %q\n", sc.Text())
		}
	}
	return sc.Err()
}

// listeners is the parent's handle on the listener process.
type listeners struct {
	cmd   *exec.Cmd
	in    io.WriteCloser
	lines *bufio.Scanner
}

func startListeners(n, base int) (*listeners, error) {
	cmd := exec.Command(os.Args[0], "-hc-listen", "-hc-n", strconv.Itoa(n), "-hc-base-port", strconv.Itoa(base))
	cmd.Stderr = os.Stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	l := &listeners{cmd: cmd, in: in, lines: bufio.NewScanner(out)}
	if got := l.read(); got != "ready" {
		l.stop()
		return nil, fmt.Errorf("listener process: %q", got)
	}
	return l, nil
}

func (l *listeners) read() string {
	if !l.lines.Scan() {
		return fmt.Sprintf("no answer (%v)", l.lines.Err())
	}
	return l.lines.Text()
}

func (l *listeners) reset() error {
	fmt.Fprintln(l.in, "reset")
	if got := l.read(); got != "ok" {
		return fmt.Errorf("listener process, reset: %q", got)
	}
	return nil
}

// stat returns the connections accepted since the process started and the ports that
// accepted one since the last reset.
func (l *listeners) stat() (accepted int64, seen int, err error) {
	fmt.Fprintln(l.in, "stat")
	got := l.read()
	f := strings.Fields(got)
	if len(f) == 3 && f[0] == "stat" {
		a, err1 := strconv.ParseInt(f[1], 10, 64)
		s, err2 := strconv.Atoi(f[2])
		if err1 == nil && err2 == nil {
			return a, s, nil
		}
	}
	return 0, 0, fmt.Errorf("listener process, stat: %q", got)
}

func (l *listeners) pid() int { return l.cmd.Process.Pid }

// stop closes its stdin (it exits) and waits for it.
func (l *listeners) stop() {
	l.in.Close()
	l.cmd.Wait()
}
