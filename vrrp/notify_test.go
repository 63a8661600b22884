package vrrp

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
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

// gatedRunner records the scripts it runs; each run waits until the test releases it.
type gatedRunner struct {
	ran     chan string   // argv[0] of each run, as it starts
	release chan struct{} // one receive lets one run finish
}

func newGatedRunner() *gatedRunner {
	return &gatedRunner{ran: make(chan string, 100), release: make(chan struct{})}
}

func (g *gatedRunner) run(ctx context.Context, argv []string) error {
	g.ran <- argv[0]
	select {
	case <-g.release:
	case <-ctx.Done():
	}
	return nil
}

// next waits for the next script to start and returns its name.
func (g *gatedRunner) next(t *testing.T) string {
	t.Helper()
	select {
	case s := <-g.ran:
		return s
	case <-time.After(5 * time.Second):
		t.Fatal("no notify script started")
		return ""
	}
}

func newTestNotifier(run ScriptRunner) *notifier {
	return &notifier{kind: "INSTANCE", name: "VI_1", run: run, log: slog.New(slog.NewTextHandler(io.Discard, nil)), jobs: newWorker(),
		cfg: NotifyConfig{Master: []string{"master"}, Backup: []string{"backup"}, Fault: []string{"fault"}, Stop: []string{"stop"}}}
}

// TestNotifyCollapsesToLatest: while one notify script runs, further state changes replace
// the one waiting; what runs next is the latest state's script, and notify_master queued
// before STOP never starts after it.
func TestNotifyCollapsesToLatest(t *testing.T) {
	tests := []struct {
		name        string
		queued      []State // notified while the first (BACKUP) script runs
		want        []string
		wantDropped uint64
	}{
		{"master then stop", []State{StateMaster, StateStop}, []string{"backup", "stop"}, 1},
		{"a flap collapses", []State{StateMaster, StateBackup, StateMaster, StateBackup, StateMaster}, []string{"backup", "master"}, 4},
		{"one change runs", []State{StateFault}, []string{"backup", "fault"}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := newGatedRunner()
			n := newTestNotifier(g.run)
			n.notify(StateBackup, 100, nil)
			got := []string{g.next(t)}
			for _, s := range tt.queued {
				n.notify(s, 100, nil)
			}
			g.release <- struct{}{}
			got = append(got, g.next(t))
			g.release <- struct{}{}
			n.jobs.stop()
			close(g.ran)
			for s := range g.ran {
				got = append(got, s)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("scripts run (-want +got):\n%s", diff)
			}
			if got := n.Dropped(); got != tt.wantDropped {
				t.Errorf("Dropped() = %d, want %d", got, tt.wantDropped)
			}
		})
	}
}

// TestNotifyDropsStaleRest: a state's second script (the generic notify) does not start once
// a newer state was notified; the newer state's scripts run instead.
func TestNotifyDropsStaleRest(t *testing.T) {
	g := newGatedRunner()
	n := newTestNotifier(g.run)
	n.setConfig(NotifyConfig{Master: []string{"master"}, Stop: []string{"stop"}, Notify: []string{"notify"}})
	n.notify(StateMaster, 100, nil)
	if got := g.next(t); got != "master" {
		t.Fatalf("first script %q, want master", got)
	}
	n.notify(StateStop, 100, nil)
	g.release <- struct{}{}
	var got []string
	for range 2 {
		got = append(got, g.next(t))
		g.release <- struct{}{}
	}
	n.jobs.stop()
	if diff := cmp.Diff([]string{"stop", "notify"}, got); diff != "" {
		t.Errorf("scripts after STOP (-want +got):\n%s", diff)
	}
	if got := n.Dropped(); got != 1 {
		t.Errorf("Dropped() = %d, want 1 (MASTER's generic notify)", got)
	}
}

// TestNotifyFloodBounded: a thousand state changes while a script hangs queue one
// notification, not a thousand.
func TestNotifyFloodBounded(t *testing.T) {
	g := newGatedRunner()
	n := newTestNotifier(g.run)
	n.notify(StateBackup, 100, nil)
	g.next(t)
	for k := range 1000 {
		n.notify([]State{StateMaster, StateBackup}[k%2], 100, nil)
	}
	n.mu.Lock()
	pending := n.pending != nil
	n.mu.Unlock()
	if !pending {
		t.Fatal("nothing waiting after the flood")
	}
	close(g.release) // every run finishes at once from now on
	n.jobs.stop()
	close(g.ran)
	var rest []string
	for s := range g.ran {
		rest = append(rest, s)
	}
	if diff := cmp.Diff([]string{"backup"}, rest); diff != "" {
		t.Errorf("scripts after the first (-want +got):\n%s", diff)
	}
	if got := n.Dropped(); got != 999 {
		t.Errorf("Dropped() = %d, want 999", got)
	}
}
