package healthcheck

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/halvs/halvs/internal/script"
)

// MiscSpec is a MISC_CHECK block (keepalived check_misc.c): run a program; exit 0 is up, anything
// else down. With misc_dynamic, exit codes 2..255 are up too and set the real server's weight to
// code − 2 (1 stays down). A program that outlives misc_timeout gets SIGTERM, then SIGKILL,
// with its whole process group, and counts as a failure.
type MiscSpec struct {
	// Argv is misc_path split into words (script.Split, keepalived's rules); no shell is involved.
	Argv    []string
	Timeout time.Duration // misc_timeout; zero: the checker's delay_loop
	Dynamic bool          // misc_dynamic
	// User runs the program as another user (keepalived's "user" after misc_path).
	User *script.Credential
	// Run runs the program; nil means script.Run. The director hands in its runner, which
	// holds a root script to the file enable_script_security vetted. Not part of the probe's
	// identity (key).
	Run func(context.Context, script.Command) script.Result
}

// Kind implements Spec.
func (MiscSpec) Kind() Kind { return KindMisc }

func (s MiscSpec) resolve(env resolveEnv) (Spec, error) {
	if s.Timeout == 0 {
		s.Timeout = env.Timing.DelayLoop
	}
	if s.Timeout <= 0 {
		return nil, errors.New("MISC_CHECK: misc_timeout must be positive")
	}
	if err := (script.Command{Argv: s.Argv}).Validate(); err != nil {
		return nil, fmt.Errorf("MISC_CHECK: misc_path: %w", err)
	}
	return s, nil
}

// key identifies the probe by the user's ids rather than the pointer.
func (s MiscSpec) key() string {
	user := "-"
	if s.User != nil {
		user = fmt.Sprintf("%+v", *s.User)
	}
	return fmt.Sprintf("%q %v %v %s", s.Argv, s.Timeout, s.Dynamic, user)
}

func (s MiscSpec) newChecker() (Checker, error) { return &miscChecker{spec: s}, nil }

type miscChecker struct{ spec MiscSpec }

func (c *miscChecker) String() string {
	return "misc_check " + script.Command{Argv: c.spec.Argv}.String()
}

func (c *miscChecker) Check(ctx context.Context) Result {
	run := c.spec.Run
	if run == nil {
		run = script.Run
	}
	r := run(ctx, script.Command{Argv: c.spec.Argv, User: c.spec.User, Timeout: c.spec.Timeout})
	res := Result{Latency: r.Duration}
	switch {
	case r.TimedOut:
		// keepalived: a script that outlives misc_timeout fails, whatever status it exits with
		// once signalled (a script may trap SIGTERM and exit 0).
		res.Err = r.Err
	case r.ExitCode == 0 && r.Err == nil:
		res.OK = true
	case c.spec.Dynamic && r.ExitCode >= 2 && r.ExitCode <= 255 && ctx.Err() == nil:
		w := r.ExitCode - 2
		res.OK, res.DynamicWeight = true, &w
	default:
		res.Err = r.Err
		if out := lastLine(r.Output); out != "" {
			res.Err = fmt.Errorf("%w: %s", r.Err, out)
		}
	}
	return res
}

// lastLine returns the last non-empty line of a script's output, for the failure reason.
func lastLine(b []byte) string {
	end := len(b)
	for end > 0 && (b[end-1] == '\n' || b[end-1] == '\r' || b[end-1] == ' ') {
		end--
	}
	start := end
	for start > 0 && b[start-1] != '\n' {
		start--
	}
	s := string(b[start:end])
	if len(s) > 200 {
		s = s[:200]
	}
	return s
}
