//go:build integration

package main

import (
	"fmt"
	"os"
	"runtime"
	"testing"
)

// progTB lets a program use the integration package's lab helpers, which take a testing.TB
// (they call Fatal, Skip and Cleanup as tests do). Fatal and Skip end the current step by
// panicking with tbExit, which step recovers; cleanups run when the step ends.
//
// The embedded testing.TB is nil: it only satisfies the interface's unexported method, and
// every method the helpers call is defined here.
type progTB struct {
	testing.TB
	name     string
	cleanups []func()
	failed   bool
	skipped  bool
	verbose  bool
	msg      string // the first error or skip: why the step did not finish
}

type tbExit struct{}

func (t *progTB) Name() string             { return t.name }
func (t *progTB) Helper()                  {}
func (t *progTB) Cleanup(f func())         { t.cleanups = append(t.cleanups, f) }
func (t *progTB) Failed() bool             { return t.failed }
func (t *progTB) Skipped() bool            { return t.skipped }
func (t *progTB) Setenv(key, value string) { os.Setenv(key, value) }

func (t *progTB) Log(args ...any) { t.Logf("%s", fmt.Sprint(args...)) }
func (t *progTB) Logf(f string, a ...any) {
	if t.verbose || t.failed {
		t.logf(f, a...)
	}
}

func (t *progTB) Error(args ...any)         { t.Errorf("%s", fmt.Sprint(args...)) }
func (t *progTB) Errorf(f string, a ...any) { t.failed = true; t.setMsg(f, a...) }
func (t *progTB) Fatal(args ...any)         { t.Error(args...); t.FailNow() }
func (t *progTB) Fatalf(f string, a ...any) { t.Errorf(f, a...); t.FailNow() }
func (t *progTB) FailNow()                  { t.failed = true; panic(tbExit{}) }
func (t *progTB) Skip(args ...any)          { t.Skipf("%s", fmt.Sprint(args...)) }
func (t *progTB) Skipf(f string, a ...any)  { t.msg = fmt.Sprintf(f, a...); t.SkipNow() }
func (t *progTB) SkipNow()                  { t.skipped = true; panic(tbExit{}) }

func (t *progTB) TempDir() string {
	dir, err := os.MkdirTemp("", "failoverbench-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

func (t *progTB) logf(f string, a ...any) {
	fmt.Fprintf(os.Stderr, "  %s: %s\n", t.name, fmt.Sprintf(f, a...))
}

// setMsg logs an error or skip and keeps the first one as the step's reason (a cleanup's
// later complaint is logged but does not replace it).
func (t *progTB) setMsg(f string, a ...any) {
	if t.msg == "" {
		t.msg = fmt.Sprintf(f, a...)
	}
	t.logf(f, a...)
}

// step runs fn with a fresh progTB and runs its cleanups, last first, however fn ends. It
// returns the progTB (for its msg) and whether fn finished without failing or skipping.
func step(name string, verbose bool, fn func(t *progTB)) (t *progTB, ok bool) {
	t = &progTB{name: name, verbose: verbose}
	defer func() {
		r := recover()
		if _, exit := r.(tbExit); r != nil && !exit {
			buf := make([]byte, 8<<10)
			buf = buf[:runtime.Stack(buf, false)]
			t.Errorf("panic: %v\n%s", r, buf)
		}
		for i := len(t.cleanups) - 1; i >= 0; i-- {
			t.cleanups[i]()
		}
		ok = !t.failed && !t.skipped
	}()
	fn(t)
	return t, true
}
