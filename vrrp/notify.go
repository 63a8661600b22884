package vrrp

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"sync"
	"syscall"
	"time"

	"github.com/halvs/halvs/internal/script"
)

// DefaultNotifyTimeout bounds a notify script when NotifyConfig.Timeout is zero.
const DefaultNotifyTimeout = 30 * time.Second

// NotifyConfig is an instance's keepalived notify settings. Each script is an argv, run
// without a shell.
type NotifyConfig struct {
	Master, Backup, Fault, Stop []string // notify_master, notify_backup, notify_fault, notify_stop
	// Notify is keepalived's generic `notify` script, run with four more arguments:
	// INSTANCE, the instance name, the state and the effective priority.
	Notify  []string
	Timeout time.Duration // per script; DefaultNotifyTimeout when zero
}

// ScriptRunner runs argv and waits for it; ctx carries the timeout. RunScript is the real one.
type ScriptRunner func(ctx context.Context, argv []string) error

// RunScript runs argv directly (no shell) through internal/script.Run, the runner every
// halvs script uses: its own process group, output kept only for the error; when ctx ends
// (the notify timeout) the group gets SIGTERM and, after a grace period, SIGKILL. A non-zero
// exit is an error.
func RunScript(ctx context.Context, argv []string) error {
	return script.Run(ctx, script.Command{Argv: argv}).Err
}

// NotifyLine is keepalived's notify_fifo line: `INSTANCE "VI_1" MASTER 150` and a newline
// (kind is INSTANCE or GROUP; groups report priority 0).
func NotifyLine(kind, name string, s State, priority uint8) string {
	return fmt.Sprintf("%s %q %s %d\n", kind, name, s, priority)
}

// NotifyArgs is the argv of the generic notify script for one event.
func NotifyArgs(script []string, kind, name string, s State, priority uint8) []string {
	args := append([]string(nil), script...)
	return append(args, kind, name, s.String(), fmt.Sprint(priority))
}

// OpenFIFO opens the named pipe at path for writing without blocking when nobody reads, as
// keepalived does (read-write, non-blocking), creating it if it does not exist. Anything
// else at path (a regular file, a directory) is an error and is left untouched, as is a
// path that cannot be examined.
func OpenFIFO(path string) (*os.File, error) {
	fi, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		if err := syscall.Mkfifo(path, 0o600); err != nil && !errors.Is(err, fs.ErrExist) {
			return nil, &os.PathError{Op: "mkfifo", Path: path, Err: err}
		}
	case err != nil:
		return nil, fmt.Errorf("vrrp: notify_fifo: %w", err)
	case fi.Mode().Type() != fs.ModeNamedPipe:
		return nil, notFIFO(path, fi)
	}
	f, err := os.OpenFile(path, os.O_RDWR|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	// What was opened, in case path changed since the Stat.
	if fi, err := f.Stat(); err != nil || fi.Mode().Type() != fs.ModeNamedPipe {
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("vrrp: notify_fifo: %w", err)
		}
		return nil, notFIFO(path, fi)
	}
	return f, nil
}

func notFIFO(path string, fi fs.FileInfo) error {
	return fmt.Errorf("vrrp: notify_fifo %s exists and is not a named pipe (mode %v)", path, fi.Mode())
}

// notifier runs one owner's (an instance's or a sync group's) notifications in order, one
// at a time, off the advert path.
type notifier struct {
	kind, name string
	run        ScriptRunner
	log        *slog.Logger
	jobs       *worker

	mu  sync.Mutex
	cfg NotifyConfig
}

func (n *notifier) setConfig(c NotifyConfig) {
	n.mu.Lock()
	n.cfg = c
	n.mu.Unlock()
}

// notify queues the scripts for state s. (The notify_fifo line is the owner of
// Deps.OnStateChange's to write: StateChange.FIFOLine.)
func (n *notifier) notify(s State, priority uint8, onErr func()) {
	n.mu.Lock()
	cfg := n.cfg
	n.mu.Unlock()
	var scripts [][]string
	switch s {
	case StateMaster:
		scripts = append(scripts, cfg.Master)
	case StateBackup:
		scripts = append(scripts, cfg.Backup)
	case StateFault:
		scripts = append(scripts, cfg.Fault)
	case StateStop:
		scripts = append(scripts, cfg.Stop)
	}
	if len(cfg.Notify) > 0 {
		scripts = append(scripts, NotifyArgs(cfg.Notify, n.kind, n.name, s, priority))
	}
	timeout := cfg.Timeout
	if timeout <= 0 {
		timeout = DefaultNotifyTimeout
	}
	n.jobs.do(func() {
		for _, argv := range scripts {
			if len(argv) == 0 {
				continue
			}
			ctx, cancel := context.WithTimeout(context.Background(), timeout)
			start := time.Now()
			err := n.run(ctx, argv)
			cancel()
			if err != nil {
				n.log.Warn("notify script failed", "script", argv, "state", s, "err", err, "took", time.Since(start))
				if onErr != nil {
					onErr()
				}
				continue
			}
			n.log.Debug("notify script done", "script", argv, "state", s)
		}
	})
}

// worker runs queued jobs one at a time, in order, in its own goroutine.
type worker struct {
	box  *mailbox[func()]
	quit chan struct{}
	done chan struct{}

	mu      sync.Mutex
	stopped bool
}

func newWorker() *worker {
	w := &worker{box: newMailbox[func()](), quit: make(chan struct{}), done: make(chan struct{})}
	go w.loop()
	return w
}

func (w *worker) do(f func()) { w.box.put(f) }

func (w *worker) loop() {
	defer close(w.done)
	for {
		select {
		case <-w.box.ready:
		case <-w.quit:
			// Drain what was queued before the stop.
			for _, f := range w.box.take() {
				f()
			}
			w.box.done()
			return
		}
		for _, f := range w.box.take() {
			f()
		}
		w.box.done()
	}
}

// barrier returns a channel closed once every job queued before it has run; at once if
// the worker has stopped, so that waiting on it always ends.
func (w *worker) barrier() <-chan struct{} {
	ch := make(chan struct{})
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.stopped {
		close(ch)
	} else {
		w.box.put(func() { close(ch) })
	}
	return ch
}

// stop runs the queued jobs and ends the worker; it waits for both.
func (w *worker) stop() {
	w.close()
	w.wait()
}

// close tells the worker to end once the queued jobs have run, without waiting.
func (w *worker) close() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.stopped {
		w.stopped = true
		close(w.quit)
	}
}

// wait waits for a closed worker to end.
func (w *worker) wait() { <-w.done }

// finished reports whether the worker has ended.
func (w *worker) finished() bool {
	select {
	case <-w.done:
		return true
	default:
		return false
	}
}

func (w *worker) idle() bool { return w.box.idle() }
