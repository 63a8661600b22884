package script

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Taken from keepalived's misc checker: SIGTERM to the process group on timeout, then SIGKILL
// two seconds later. The output kept is enough for a failure's last lines. Variables only so
// that the package's tests can shorten them.
var (
	killGrace   = 2 * time.Second
	outputLimit = 4096
)

// ErrTimeout is wrapped by Result.Err when the command ran past its Timeout and was killed.
var ErrTimeout = errors.New("script: timed out")

// ErrKilled, as the cause of a Run's cancelled context (context.WithCancelCause), kills the
// process group with SIGKILL at once instead of SIGTERM and a grace period: a daemon that has
// waited its bound for scripts on shutdown does not wait once more.
var ErrKilled = errors.New("script: killed")

// Credential is the user a command runs as (setuid/setgid in the child, before exec).
type Credential struct {
	UID, GID uint32
	Groups   []uint32 // supplementary groups; nil clears them
}

// Command describes one program run. The zero Timeout means no timeout.
type Command struct {
	// Argv[0] is the program (looked up in SafePath when it holds no slash), the rest its
	// arguments. No shell is involved; the environment is Env().
	Argv []string
	// User, when set, is the uid/gid the program runs as (requires privilege).
	User    *Credential
	Timeout time.Duration
	// Guard, when set, is enable_script_security: a run with root's privileges executes only
	// the file the Guard vetted, and is refused (an error wrapping ErrInsecure) otherwise.
	Guard *Guard
}

// asRoot reports whether the program runs with root's user or group ID (before set-ID bits).
func (c Command) asRoot() bool {
	if c.User == nil {
		return os.Geteuid() == 0 || os.Getegid() == 0
	}
	return c.User.UID == 0 || c.User.GID == 0
}

// String renders the command for logs, quoting arguments that need it.
func (c Command) String() string {
	q := make([]string, len(c.Argv))
	for i, a := range c.Argv {
		q[i] = quoteArg(a)
	}
	return strings.Join(q, " ")
}

// Result is how a run ended.
type Result struct {
	// ExitCode is the program's exit status, or -1 when it did not exit normally (signal, not
	// started).
	ExitCode int
	// Signal is the signal that ended the program, zero if it exited.
	Signal syscall.Signal
	// TimedOut reports that the timeout expired and the group was killed.
	TimedOut bool
	// Output holds the last bytes (4 KiB) of combined stdout and stderr.
	Output   []byte
	Duration time.Duration
	// Err is nil for a program that exited with status 0; otherwise it says why not (start
	// failure, exit status, signal, ErrTimeout).
	Err error
}

// Validate reports a command that cannot be run, before anything is started.
func (c Command) Validate() error {
	switch {
	case len(c.Argv) == 0 || c.Argv[0] == "":
		return errors.New("script: empty command")
	case c.Timeout < 0:
		return errors.New("script: negative timeout")
	}
	return nil
}

// Run starts the command in its own process group and waits for it. On timeout, or when ctx is
// cancelled, the whole group gets SIGTERM and, two seconds later, SIGKILL, so children a script
// forked do not outlive it (SIGKILL at once when ctx's cause is ErrKilled). A ctx already done
// starts nothing. Run is safe for concurrent use.
func Run(ctx context.Context, c Command) Result {
	start := time.Now()
	res := Result{ExitCode: -1}
	if err := c.Validate(); err != nil {
		res.Err = err
		return res
	}
	if ctx.Err() != nil {
		res.Err = fmt.Errorf("script: %s not started: %w", c.String(), context.Cause(ctx))
		return res
	}
	argv := c.Argv
	var path string
	var err error
	if c.Guard != nil {
		path, err = c.Guard.admit(argv[0], c.asRoot())
	} else {
		path, err = LookPath(argv[0])
	}
	if err != nil {
		res.Err = fmt.Errorf("script: start %s: %w", argv[0], err)
		return res
	}
	limit, grace := outputLimit, killGrace
	out := &tail{limit: limit}
	cmd := &exec.Cmd{Path: path, Args: argv, Env: Env()}
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if c.User != nil {
		cmd.SysProcAttr.Credential = &syscall.Credential{Uid: c.User.UID, Gid: c.User.GID, Groups: c.User.Groups}
	}
	// A grandchild that keeps our output pipe open must not keep Wait from returning.
	cmd.WaitDelay = grace
	if err := cmd.Start(); err != nil {
		res.Err = fmt.Errorf("script: start %s: %w", argv[0], err)
		res.Duration = time.Since(start)
		return res
	}
	pgid := cmd.Process.Pid // Setpgid: the group id is the leader's pid

	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()

	var expired <-chan time.Time
	if c.Timeout > 0 {
		t := time.NewTimer(c.Timeout)
		defer t.Stop()
		expired = t.C
	}
	var werr error
	cancelled := false
	select {
	case werr = <-done:
	case <-expired:
		res.TimedOut = true
		werr = killGroup(pgid, grace, done)
	case <-ctx.Done():
		cancelled = true
		if errors.Is(context.Cause(ctx), ErrKilled) {
			grace = 0
		}
		werr = killGroup(pgid, grace, done)
	}
	res.Duration = time.Since(start)
	res.Output = out.bytes()
	res.Err = werr
	if ps := cmd.ProcessState; ps != nil {
		if ws, ok := ps.Sys().(syscall.WaitStatus); ok {
			switch {
			case ws.Exited():
				res.ExitCode = ws.ExitStatus()
			case ws.Signaled():
				res.Signal = ws.Signal()
			}
		}
	}
	switch {
	case res.TimedOut:
		res.Err = fmt.Errorf("%w after %v (%s)", ErrTimeout, c.Timeout, c.String())
	case cancelled:
		// Even a program that traps SIGTERM and exits 0 did not finish its job.
		res.Err = fmt.Errorf("script: %s cancelled: %w", c.String(), context.Cause(ctx))
	case res.Signal != 0:
		res.Err = fmt.Errorf("script: %s killed by signal %v", c.String(), res.Signal)
	case res.ExitCode > 0:
		res.Err = fmt.Errorf("script: %s exited with status %d", c.String(), res.ExitCode)
	case res.ExitCode == 0:
		res.Err = nil // exit 0; an I/O error after WaitDelay is not the program's failure
	}
	return res
}

// killGroup sends SIGTERM to the group, then SIGKILL after grace (at once when grace is
// zero), and returns Wait's error.
func killGroup(pgid int, grace time.Duration, done <-chan error) error {
	if grace <= 0 {
		_ = syscall.Kill(-pgid, syscall.SIGKILL)
		return <-done
	}
	_ = syscall.Kill(-pgid, syscall.SIGTERM)
	t := time.NewTimer(grace)
	defer t.Stop()
	select {
	case err := <-done:
		// The leader is gone; children that ignored SIGTERM must not survive it.
		_ = syscall.Kill(-pgid, syscall.SIGKILL)
		return err
	case <-t.C:
		_ = syscall.Kill(-pgid, syscall.SIGKILL)
		return <-done
	}
}

// tail keeps the last limit bytes written to it.
type tail struct {
	mu    sync.Mutex
	limit int
	buf   []byte
}

func (t *tail) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	n := len(p)
	if len(p) >= t.limit {
		t.buf = append(t.buf[:0], p[len(p)-t.limit:]...)
		return n, nil
	}
	if over := len(t.buf) + len(p) - t.limit; over > 0 {
		t.buf = append(t.buf[:0], t.buf[over:]...)
	}
	t.buf = append(t.buf, p...)
	return n, nil
}

func (t *tail) bytes() []byte {
	t.mu.Lock()
	defer t.mu.Unlock()
	return append([]byte(nil), t.buf...)
}
