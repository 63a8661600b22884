package vrrp

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
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
}
