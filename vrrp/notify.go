package vrrp

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
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
	// keepalived's event notifies (notify_events.go): MasterRxLowerPri is
	// notify_master_rx_lower_pri's script; PriorityChanges is notify_priority_changes;
	// NotifyDeleted is notify_deleted, and Deleted its script, if any.
	MasterRxLowerPri []string
	PriorityChanges  bool
	NotifyDeleted    bool
	Deleted          []string
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

// notifier runs one owner's (an instance's or a sync group's) notify scripts off the advert
// path, one at a time, for the state the owner is in, not for a backlog, as keepalived runs
// the script of the state it enters: while a script runs, at most one notification waits, and
// a newer one replaces it; a notification whose state is no longer the latest when its next
// script would start is dropped. So notify_master never starts after STOP was notified, and a
// flapping instance never piles up scripts.
type notifier struct {
	kind, name string
	run        ScriptRunner
	log        *slog.Logger
	jobs       *worker // runs drain; holds at most one drain at a time

	dropped atomic.Uint64 // notifications replaced or abandoned before they ran

	mu        sync.Mutex
	cfg       NotifyConfig
	seq       uint64        // of the latest notification
	pending   *notification // waiting for the running one; nil if none
	scheduled bool          // a drain is queued or running
}

// notification is the scripts of one state change.
type notification struct {
	seq     uint64
	state   State
	scripts [][]string
	timeout time.Duration
	onErr   func()
}

func (n *notifier) setConfig(c NotifyConfig) {
	n.mu.Lock()
	n.cfg = c
	n.mu.Unlock()
}

// notify queues the scripts for state s in place of any notification still waiting. (The
// notify_fifo line is the owner of Deps.OnStateChange's to write: StateChange.FIFOLine.)
// It never blocks.
func (n *notifier) notify(s State, priority uint8, onErr func()) {
	n.mu.Lock()
	cfg := n.cfg
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
	case StateDeleted:
		scripts = append(scripts, cfg.Deleted)
	}
	if len(cfg.Notify) > 0 {
		scripts = append(scripts, NotifyArgs(cfg.Notify, n.kind, n.name, s, priority))
	}
	timeout := cfg.Timeout
	if timeout <= 0 {
		timeout = DefaultNotifyTimeout
	}
	n.seq++
	if old := n.pending; old != nil {
		n.dropNote(old, s)
	}
	n.pending = &notification{seq: n.seq, state: s, scripts: scripts, timeout: timeout, onErr: onErr}
	schedule := !n.scheduled
	n.scheduled = true
	n.mu.Unlock()
	if schedule {
		n.jobs.do(n.drain)
	}
}

// dropNote counts and logs a notification that will not run. Called with mu held.
func (n *notifier) dropNote(old *notification, now State) {
	n.dropped.Add(1)
	n.log.Debug("notify scripts dropped: the state changed before they ran", "state", old.state, "now", now)
}

// drain runs the waiting notification, and the ones that replace it meanwhile, on the worker.
func (n *notifier) drain() {
	for {
		n.mu.Lock()
		job := n.pending
		n.pending = nil
		if job == nil {
			n.scheduled = false
			n.mu.Unlock()
			return
		}
		n.mu.Unlock()
		n.runScripts(job)
	}
}

// current reports whether job is still the latest notification.
func (n *notifier) current(job *notification) bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	return job.seq == n.seq
}

func (n *notifier) runScripts(job *notification) {
	for _, argv := range job.scripts {
		if len(argv) == 0 {
			continue
		}
		if !n.current(job) {
			// The newer notification runs next.
			n.mu.Lock()
			n.dropNote(job, n.pendingState())
			n.mu.Unlock()
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), job.timeout)
		start := time.Now()
		err := n.run(ctx, argv)
		cancel()
		if err != nil {
			n.log.Warn("notify script failed", "script", argv, "state", job.state, "err", err, "took", time.Since(start))
			if job.onErr != nil {
				job.onErr()
			}
			continue
		}
		n.log.Debug("notify script done", "script", argv, "state", job.state)
	}
}

// pendingState is the state of the waiting notification (INIT if none). Called with mu held.
func (n *notifier) pendingState() State {
	if n.pending == nil {
		return StateInit
	}
	return n.pending.state
}

// Dropped returns how many notifications were replaced or abandoned before all their
// scripts ran.
func (n *notifier) Dropped() uint64 { return n.dropped.Load() }

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
