package script

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestRunMinimalEnvironment: a script sees PATH=SafePath and nothing of the daemon's
// environment (here a secret the test process holds).
func TestRunMinimalEnvironment(t *testing.T) {
	t.Setenv("HALVS_TEST_SECRET", "hunter2")
	r := Run(context.Background(), Command{Argv: []string{"/bin/sh", "-c", `echo "secret=$HALVS_TEST_SECRET"; env | grep -v '^PWD=' | grep -v '^SHLVL=' | grep -v '^_='`}})
	if r.Err != nil {
		t.Fatalf("Run: %v (%s)", r.Err, r.Output)
	}
	if diff := cmp.Diff("secret=\nPATH="+SafePath+"\n", string(r.Output)); diff != "" {
		t.Errorf("the script's environment (-want +got):\n%s", diff)
	}
	// A bare name is found in SafePath, not in the daemon's PATH.
	t.Setenv("PATH", t.TempDir())
	if r := Run(context.Background(), Command{Argv: []string{"true"}}); r.Err != nil {
		t.Errorf("Run(true) with the daemon's PATH elsewhere: %v", r.Err)
	}
}

// TestRunKilledAtOnce: a context cancelled with ErrKilled kills a program that ignores
// SIGTERM without waiting out the grace period.
func TestRunKilledAtOnce(t *testing.T) {
	old := killGrace
	killGrace = time.Hour
	t.Cleanup(func() { killGrace = old })
	ctx, cancel := context.WithCancelCause(context.Background())
	go func() { time.Sleep(100 * time.Millisecond); cancel(ErrKilled) }()
	done := make(chan Result, 1)
	go func() { done <- Run(ctx, Command{Argv: []string{"/bin/sh", "-c", "trap '' TERM; sleep 120"}}) }()
	select {
	case r := <-done:
		if r.Signal != syscall.SIGKILL || !errors.Is(r.Err, ErrKilled) {
			t.Errorf("Run = signal %v err %v, want SIGKILL and ErrKilled", r.Signal, r.Err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("Run waited for the grace period after ErrKilled")
	}
}

// TestRunDoneContextStartsNothing: once the daemon has given up on scripts, none starts.
func TestRunDoneContextStartsNothing(t *testing.T) {
	mark := filepath.Join(t.TempDir(), "ran")
	ctx, cancel := context.WithCancelCause(context.Background())
	cancel(ErrKilled)
	r := Run(ctx, Command{Argv: []string{"/bin/sh", "-c", `touch "$0"`, mark}})
	if !errors.Is(r.Err, ErrKilled) {
		t.Errorf("Run err %v, want ErrKilled", r.Err)
	}
	if _, err := os.Stat(mark); err == nil {
		t.Error("the script ran")
	}
}

// secureTree makes base/safe/run.sh (root's, mode 0755, writing "safe" to base/out), and
// base/user owned by uid 65534 holding the symbolic link base/user/run.sh to it. It skips
// unless root and unless base is on a root-only path.
func secureTree(t *testing.T) (base, link string) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root: the checks are about files owned by root")
	}
	base = t.TempDir()
	if elem, why := Unsafe(base); elem != "" {
		t.Skipf("%s %s (TMPDIR?)", elem, why)
	}
	writeScript(t, filepath.Join(base, "safe", "run.sh"), base, "safe")
	writeScript(t, filepath.Join(base, "safe", "other.sh"), base, "other")
	user := filepath.Join(base, "user")
	writeScript(t, filepath.Join(user, "evil.sh"), base, "evil")
	for _, p := range []string{user, filepath.Join(user, "evil.sh")} {
		if err := os.Chown(p, 65534, 65534); err != nil {
			t.Fatal(err)
		}
	}
	link = filepath.Join(user, "run.sh")
	if err := os.Symlink(filepath.Join(base, "safe", "run.sh"), link); err != nil {
		t.Fatal(err)
	}
	return base, link
}

// writeScript writes a script at path that appends word to base/out.
func writeScript(t *testing.T, path, base, word string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	body := "#!/bin/sh\necho " + word + " >> " + filepath.Join(base, "out") + "\n"
	if err := os.WriteFile(path, []byte(body), 0o755); err != nil {
		t.Fatal(err)
	}
}

// swapLink points link at target, as its directory's owner could at any time.
func swapLink(t *testing.T, link, target string) {
	t.Helper()
	tmp := link + ".new"
	if err := os.Symlink(target, tmp); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, link); err != nil {
		t.Fatal(err)
	}
}

// TestGuardHoldsToVettedFile: a program pinned at load runs only while its path still leads
// to the file vetted; a link swapped after the load (to the link owner's script, or to
// another root-owned file) is refused and counted, and nothing runs.
func TestGuardHoldsToVettedFile(t *testing.T) {
	tests := []struct {
		name        string
		swapTo      string // under base; "" leaves the link alone
		replaceFile bool   // replace the vetted file by a new one (new inode) at the same path
		want        string // base/out after the run
		wantRefused uint64
	}{
		{name: "unchanged", want: "safe\n"},
		{name: "swapped to the link owner's script", swapTo: "user/evil.sh", wantRefused: 1},
		{name: "swapped to another root-owned script", swapTo: "safe/other.sh", wantRefused: 1},
		{name: "vetted file replaced", replaceFile: true, wantRefused: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			base, link := secureTree(t)
			g := NewGuard()
			if err := g.Pin(link); err != nil {
				t.Fatalf("Pin(%s): %v", link, err)
			}
			if tt.swapTo != "" {
				swapLink(t, link, filepath.Join(base, tt.swapTo))
			}
			if tt.replaceFile {
				p := filepath.Join(base, "safe", "run.sh")
				writeScript(t, p+".new", base, "replaced")
				if err := os.Rename(p+".new", p); err != nil {
					t.Fatal(err)
				}
			}
			r := Run(context.Background(), Command{Argv: []string{link}, Guard: g})
			out, _ := os.ReadFile(filepath.Join(base, "out"))
			if diff := cmp.Diff(tt.want, string(out)); diff != "" {
				t.Errorf("what ran (-want +got):\n%s", diff)
			}
			if got := g.Refused(); got != tt.wantRefused {
				t.Errorf("Refused() = %d, want %d", got, tt.wantRefused)
			}
			if tt.wantRefused > 0 && !errors.Is(r.Err, ErrInsecure) {
				t.Errorf("Run err %v, want ErrInsecure", r.Err)
			}
			if tt.wantRefused == 0 && r.Err != nil {
				t.Errorf("Run: %v", r.Err)
			}
		})
	}
}

// TestGuardUnsafeAtPin: a link that already leads to an unsafe file is not pinned, and a run
// as root is refused; a run as another user is not the Guard's business.
func TestGuardUnsafeAtPin(t *testing.T) {
	base, link := secureTree(t)
	swapLink(t, link, filepath.Join(base, "user", "evil.sh"))
	g := NewGuard()
	if err := g.Pin(link); !errors.Is(err, ErrInsecure) {
		t.Fatalf("Pin = %v, want ErrInsecure", err)
	}
	if r := Run(context.Background(), Command{Argv: []string{link}, Guard: g}); !errors.Is(r.Err, ErrInsecure) {
		t.Errorf("run as root: err %v, want ErrInsecure", r.Err)
	}
	if err := os.Chmod(base, 0o755); err != nil { // let nobody reach its own script
		t.Fatal(err)
	}
	r := Run(context.Background(), Command{Argv: []string{link}, Guard: g, User: &Credential{UID: 65534, GID: 65534}})
	if errors.Is(r.Err, ErrInsecure) {
		t.Errorf("run as nobody refused: %v", r.Err)
	}
	if got := g.Refused(); got != 1 {
		t.Errorf("Refused() = %d, want 1", got)
	}
}
