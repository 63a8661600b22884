//go:build integration

package integration

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestNotifyEvents runs halvs with notify_priority_changes and notify_deleted and reads its
// notify_fifo as keepalived's users do: a track_file write changes the MASTER's priority
// (INSTANCE "VI_1" MASTER_PRIORITY 90), and a reload that removes the instance (renamed
// VI_2) notifies it DELETED, running notify_deleted's script, instead of STOP.
func TestNotifyEvents(t *testing.T) {
	p := newPair(t, VIP4, Halvs)
	dir := t.TempDir()
	fifo, drain, deleted := filepath.Join(dir, "notify.fifo"), filepath.Join(dir, "drain"), filepath.Join(dir, "deleted")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	lines := readFIFO(t, fifo)

	a := fast(150)
	a.State = "MASTER"
	a.HCLTop = fmt.Sprintf("track_file \"drain\" {\n  file = %q\n  weight = -60\n  init_file = 0\n}\n", drain)
	a.HCLInstance = fmt.Sprintf("  track_file = [\"drain\"]\n  notify_fifo = %q\n  notify_priority_changes = true\n  notify_deleted = \"/bin/sh -c 'echo $0 > %s' gone\"\n", fifo, deleted)
	mark := p.obs.Mark()
	da := p.start(Halvs, p.lab.A, a)
	p.expectMaster(mark, p.lab.A, 5*time.Second, 0)
	lines.want(t, `INSTANCE "VI_1" MASTER 150`)

	if err := os.WriteFile(drain, []byte("1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	lines.want(t, `INSTANCE "VI_1" MASTER_PRIORITY 90`)

	a.Name = "VI_2"
	if err := da.Rewrite(a); err != nil {
		t.Fatal(err)
	}
	if err := da.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	lines.want(t, `INSTANCE "VI_1" DELETED 90`)
	deadline := time.Now().Add(5 * time.Second)
	for {
		if b, err := os.ReadFile(deleted); err == nil && string(b) == "gone\n" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("notify_deleted's script did not run")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if seen := lines.all(); strings.Contains(strings.Join(seen, "\n"), `"VI_1" STOP`) {
		t.Errorf("the removed instance was notified STOP too: %q", seen)
	}
}

// fifoLines collects the lines a FIFO delivers.
type fifoLines struct {
	ch   chan string
	seen []string
}

// readFIFO reads path's lines in the background until the test ends. It holds the FIFO open
// for writing too, so that it sees no end of file between writers.
func readFIFO(t *testing.T, path string) *fifoLines {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	l := &fifoLines{ch: make(chan string, 100)}
	go func() {
		s := bufio.NewScanner(f)
		for s.Scan() {
			l.ch <- s.Text()
		}
	}()
	return l
}

// want waits for line, keeping the lines before it.
func (l *fifoLines) want(t *testing.T, line string) {
	t.Helper()
	timeout := time.After(5 * time.Second)
	for {
		select {
		case got := <-l.ch:
			l.seen = append(l.seen, got)
			if got == line {
				return
			}
		case <-timeout:
			t.Fatalf("notify_fifo: no line %q within 5s; lines: %q", line, l.seen)
		}
	}
}

// all returns the lines read so far.
func (l *fifoLines) all() []string {
	for {
		select {
		case got := <-l.ch:
			l.seen = append(l.seen, got)
		default:
			return l.seen
		}
	}
}
