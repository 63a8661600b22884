package vrrp

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestNotifyLineAndArgs(t *testing.T) {
	if got, want := NotifyLine("INSTANCE", "VI_1", StateMaster, 150), "INSTANCE \"VI_1\" MASTER 150\n"; got != want {
		t.Errorf("NotifyLine = %q, want %q", got, want)
	}
	if got, want := NotifyLine("GROUP", "VG_1", StateFault, 0), "GROUP \"VG_1\" FAULT 0\n"; got != want {
		t.Errorf("NotifyLine = %q, want %q", got, want)
	}
	got := strings.Join(NotifyArgs([]string{"/usr/local/bin/n", "-v"}, "INSTANCE", "VI_1", StateBackup, 100), " ")
	if want := "/usr/local/bin/n -v INSTANCE VI_1 BACKUP 100"; got != want {
		t.Errorf("NotifyArgs = %q, want %q", got, want)
	}
}

// RunScript runs a real program without a shell and kills it on timeout.
func TestRunScript(t *testing.T) {
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh")
	}
	out := filepath.Join(t.TempDir(), "out")
	if err := RunScript(context.Background(), []string{sh, "-c", `printf '%s|' "$@" > "$0"`, out, "INSTANCE", "VI 1"}); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(out)
	if got, want := string(b), "INSTANCE|VI 1|"; got != want {
		t.Errorf("script saw %q, want %q (arguments passed without a shell)", got, want)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	err = RunScript(ctx, []string{sh, "-c", "sleep 30"})
	if err == nil || !errors.Is(ctx.Err(), context.DeadlineExceeded) {
		t.Errorf("timed-out script: err %v, ctx %v", err, ctx.Err())
	}
	if err := RunScript(context.Background(), nil); err == nil {
		t.Error("empty argv accepted")
	}
	if err := RunScript(context.Background(), []string{sh, "-c", "exit 3"}); err == nil {
		t.Error("a non-zero exit is not an error")
	}
}

// TestRunScriptTermsFirst: a timed-out script gets SIGTERM (and time to clean up) before
// SIGKILL, as every other halvs script does.
func TestRunScriptTermsFirst(t *testing.T) {
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh")
	}
	mark := filepath.Join(t.TempDir(), "termed")
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	err = RunScript(ctx, []string{sh, "-c", `trap 'echo TERM > "$0"; exit 0' TERM; sleep 30 & wait`, mark})
	if err == nil {
		t.Error("a timed-out script is not an error")
	}
	if b, _ := os.ReadFile(mark); string(b) != "TERM\n" {
		t.Errorf("the script's TERM handler wrote %q, want it to have run", b)
	}
}

func TestOpenFIFO(t *testing.T) {
	dir := t.TempDir()
	regular := filepath.Join(dir, "regular")
	if err := os.WriteFile(regular, []byte("keep"), 0o600); err != nil {
		t.Fatal(err)
	}
	existing := filepath.Join(dir, "existing")
	if err := syscall.Mkfifo(existing, 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		path    string
		wantErr string // substring; "" for success
	}{
		{"absent: created", filepath.Join(dir, "new"), ""},
		{"existing named pipe", existing, ""},
		{"regular file", regular, "not a named pipe"},
		{"directory", dir, "not a named pipe"},
		{"cannot stat", filepath.Join(regular, "x"), "not a directory"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := OpenFIFO(tt.path)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want one saying %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			fi, err := os.Stat(tt.path)
			if err != nil || fi.Mode().Type() != fs.ModeNamedPipe {
				t.Fatalf("%s is %v (%v), want a named pipe", tt.path, fi.Mode(), err)
			}
			if _, err := f.WriteString("INSTANCE \"VI_1\" MASTER 150\n"); err != nil {
				t.Errorf("write with no reader: %v", err)
			}
		})
	}
	if b, _ := os.ReadFile(regular); string(b) != "keep" {
		t.Errorf("the regular file now holds %q, want it untouched", b)
	}
}
