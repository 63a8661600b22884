package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestCheckLimits: `halvs check` refuses, with exit 1 and a diagnostic, what used to crash
// it (nesting), hang it (a FIFO) or flood it (thousands of errors); --max-config-size
// moves the size limit.
func TestCheckLimits(t *testing.T) {
	dir := t.TempDir()
	write := func(name, src string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	nested := write("nested.hcl", "global {\n  router_id = "+strings.Repeat("[", 100_000)+strings.Repeat("]", 100_000)+"\n}\n")
	fifo := filepath.Join(dir, "fifo.hcl")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	var many strings.Builder
	many.WriteString("global {\n")
	for i := range 300 {
		fmt.Fprintf(&many, "  bogus_%d = 1\n", i)
	}
	many.WriteString("}\n")
	manyErrs := write("many.hcl", many.String())
	seed := filepath.Join("..", "..", "examples", "seed", "director-a.hcl")
	tests := []struct {
		name       string
		args       []string
		want       int
		wantStderr string
	}{
		{"nested 100,000 deep", []string{"check", nested}, exitFailure,
			nested + ":2:78: error: nesting deeper than 64 levels"},
		{"FIFO", []string{"check", fifo}, exitFailure, fifo + ": error: cannot read config: not a regular file (a FIFO)"},
		{"/dev/zero", []string{"check", "/dev/zero"}, exitFailure, "not a regular file (a character device)"},
		{"over --max-config-size", []string{"check", "--max-config-size", "100", seed}, exitFailure,
			"file too large: more than 100 bytes (raise the limit with --max-config-size)"},
		{"under --max-config-size", []string{"check", "--max-config-size", "100000", seed}, exitOK, ""},
		{"300 errors", []string{"check", manyErrs}, exitFailure,
			manyErrs + ": error: and 250 more (only the first 50 are shown)\n" + manyErrs + ": 300 errors\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr strings.Builder
			done := make(chan int, 1)
			go func() { done <- dispatch(tc.args, &stdout, &stderr) }()
			select {
			case got := <-done:
				if got != tc.want {
					t.Errorf("exit = %d, want %d; stderr:\n%.1000s", got, tc.want, stderr.String())
				}
			case <-time.After(time.Second):
				t.Fatalf("halvs %s still running after a second", strings.Join(tc.args, " "))
			}
			if !strings.Contains(stderr.String(), tc.wantStderr) || tc.wantStderr == "" && stderr.Len() > 0 {
				t.Errorf("stderr = %.1000q, want it to contain %q", stderr.String(), tc.wantStderr)
			}
		})
	}
}
