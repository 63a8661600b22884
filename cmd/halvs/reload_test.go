package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/halvs/halvs/config"
	"github.com/halvs/halvs/control"
)

// serveControl runs a control server with h on a fresh socket (a stand-in for a running
// halvs) and returns the socket's path.
func serveControl(t *testing.T, h control.Handlers) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "halvs.sock")
	l, err := control.Listen(path)
	if err != nil {
		t.Fatal(err)
	}
	s := control.NewServer(h, slog.New(slog.NewTextHandler(io.Discard, nil)))
	go s.Serve(l)
	t.Cleanup(func() { s.Shutdown(context.Background()) })
	return path
}

// fakeReloads answers reloads with the results queued, one per call, and records requests.
type fakeReloads struct {
	mu      sync.Mutex
	answers []func() (*control.ReloadResult, error)
	seen    []control.ReloadRequest
}

func (f *fakeReloads) reload(_ context.Context, req control.ReloadRequest) (*control.ReloadResult, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.seen = append(f.seen, req)
	next := f.answers[0]
	if len(f.answers) > 1 {
		f.answers = f.answers[1:]
	}
	return next()
}

func (f *fakeReloads) requests() []control.ReloadRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]control.ReloadRequest(nil), f.seen...)
}

func reloaded(changes ...string) func() (*control.ReloadResult, error) {
	return func() (*control.ReloadResult, error) {
		return &control.ReloadResult{ConfigFile: "/etc/halvs/halvs.hcl", Changes: changes,
			Warnings: []string{"/etc/halvs/halvs.hcl:7:3: warning: dont_track_primary is deprecated"}}, nil
	}
}

func refused() (*control.ReloadResult, error) {
	return nil, &control.DiagnosticsError{
		Err:         fmt.Errorf("%w: /etc/halvs/halvs.hcl has 1 error; the running configuration is kept", control.ErrReloadFailed),
		Diagnostics: []string{"/etc/halvs/halvs.hcl:4:3: error: unknown keyword \"priorty\""},
	}
}

func busy() (*control.ReloadResult, error) {
	return nil, fmt.Errorf("%w: at most one reload a second", control.ErrBusy)
}

func TestReloadCommand(t *testing.T) {
	orig := reloadRetry
	reloadRetry = 0
	t.Cleanup(func() { reloadRetry = orig })
	tests := []struct {
		name      string
		args      []string
		answers   []func() (*control.ReloadResult, error)
		code      int
		wantOut   string
		wantErr   string
		wantCalls int
	}{
		{name: "changes", answers: []func() (*control.ReloadResult, error){reloaded("vrrp_instance VI_2: added", "virtual_server 10.10.10.22:80/TCP: real server 10.10.10.33:80 added")},
			code: exitOK, wantCalls: 1,
			wantOut: "reloaded /etc/halvs/halvs.hcl: 2 changes\n  vrrp_instance VI_2: added\n  virtual_server 10.10.10.22:80/TCP: real server 10.10.10.33:80 added\n",
			wantErr: "/etc/halvs/halvs.hcl:7:3: warning: dont_track_primary is deprecated\n"},
		{name: "no change", answers: []func() (*control.ReloadResult, error){reloaded()}, code: exitOK, wantCalls: 1,
			wantOut: "reloaded /etc/halvs/halvs.hcl: no change\n",
			wantErr: "/etc/halvs/halvs.hcl:7:3: warning: dont_track_primary is deprecated\n"},
		{name: "refused", answers: []func() (*control.ReloadResult, error){refused}, code: exitFailure, wantCalls: 1,
			wantErr: "/etc/halvs/halvs.hcl:4:3: error: unknown keyword \"priorty\"\n" +
				"halvs reload: reload failed: /etc/halvs/halvs.hcl has 1 error; the running configuration is kept\n"},
		{name: "busy until the timeout", args: []string{"--timeout", "50ms"}, answers: []func() (*control.ReloadResult, error){busy},
			code: exitFailure, wantCalls: -1,
			wantErr: "halvs reload: gave up after 50ms: busy: another reload or failover is in progress: at most one reload a second\n"},
		{name: "busy, then done", answers: []func() (*control.ReloadResult, error){busy, busy, reloaded("global: changed")}, code: exitOK, wantCalls: 3,
			wantOut: "reloaded /etc/halvs/halvs.hcl: 1 change\n  global: changed\n",
			wantErr: "/etc/halvs/halvs.hcl:7:3: warning: dont_track_primary is deprecated\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &fakeReloads{answers: tt.answers}
			sock := serveControl(t, control.Handlers{Reload: f.reload})
			var stdout, stderr bytes.Buffer
			code := dispatch(append([]string{"reload", "--socket", sock}, tt.args...), &stdout, &stderr)
			if code != tt.code {
				t.Errorf("exit %d, want %d", code, tt.code)
			}
			if diff := cmp.Diff(tt.wantOut, stdout.String()); diff != "" {
				t.Errorf("stdout (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantErr, stderr.String()); diff != "" {
				t.Errorf("stderr (-want +got):\n%s", diff)
			}
			if got := len(f.requests()); tt.wantCalls >= 0 && got != tt.wantCalls {
				t.Errorf("%d reload requests, want %d", got, tt.wantCalls)
			}
		})
	}
}

// TestReloadConfigFlag: -c FILE sends FILE's absolute path and finds the socket in FILE.
func TestReloadConfigFlag(t *testing.T) {
	f := &fakeReloads{answers: []func() (*control.ReloadResult, error){reloaded()}}
	sock := serveControl(t, control.Handlers{Reload: f.reload})
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "halvs.hcl"), []byte(fmt.Sprintf("global {\n  control_socket = %q\n}\n", sock)), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Chdir(dir)
	var stdout, stderr bytes.Buffer
	if code := dispatch([]string{"reload", "-c", "halvs.hcl"}, &stdout, &stderr); code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	if diff := cmp.Diff([]control.ReloadRequest{{ConfigFile: filepath.Join(dir, "halvs.hcl")}}, f.requests()); diff != "" {
		t.Errorf("requests (-want +got):\n%s", diff)
	}
}

func TestReloadNoDaemon(t *testing.T) {
	absent := filepath.Join(t.TempDir(), "absent.sock")
	tests := []struct {
		name string
		args []string
		want []string
	}{
		{"socket", []string{"--socket", absent}, []string{"halvs reload: no halvs is running with control socket " + absent}},
		// A broken FILE names no usable socket: its own findings, and what to do.
		{"broken file, default socket", []string{"-c", "../../config/testdata/broken.hcl", "--timeout", "1s"},
			[]string{"broken.hcl:4:3: error: unknown keyword \"priorty\"", "is invalid (above), so its control_socket is unknown", "give --socket PATH"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.name != "socket" {
				if _, err := os.Stat(config.DefaultControlSocket); err == nil {
					t.Skipf("%s exists: a halvs may be running here", config.DefaultControlSocket)
				}
			}
			var stdout, stderr bytes.Buffer
			if code := dispatch(append([]string{"reload"}, tt.args...), &stdout, &stderr); code != exitFailure {
				t.Errorf("exit %d, want %d", code, exitFailure)
			}
			for _, w := range tt.want {
				if !strings.Contains(stderr.String(), w) {
					t.Errorf("stderr lacks %q:\n%s", w, stderr.String())
				}
			}
		})
	}
}

func TestReloadUsage(t *testing.T) {
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"stray argument", []string{"halvs.hcl"}, exitUsage, `unexpected argument "halvs.hcl"`},
		{"bad timeout", []string{"--timeout", "0s"}, exitUsage, "--timeout must be positive"},
		{"unknown flag", []string{"--force"}, exitUsage, "flag provided but not defined"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			if code := dispatch(append([]string{"reload"}, tt.args...), &stdout, &stderr); code != tt.code {
				t.Errorf("exit %d, want %d", code, tt.code)
			}
			if !strings.Contains(stderr.String(), tt.want) {
				t.Errorf("stderr lacks %q:\n%s", tt.want, stderr.String())
			}
		})
	}
}

// TestControlReloadOtherFile: the daemon refuses a request for a file it does not run,
// before it takes the reload lock; a link to its own file is its file.
func TestControlReloadOtherFile(t *testing.T) {
	dir := t.TempDir()
	own, other, link := filepath.Join(dir, "halvs.hcl"), filepath.Join(dir, "other.hcl"), filepath.Join(dir, "link.hcl")
	for _, p := range []string{own, other} {
		if err := os.WriteFile(p, nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink(own, link); err != nil {
		t.Fatal(err)
	}
	dm := &daemon{log: slog.New(slog.NewTextHandler(io.Discard, nil)), info: runInfo{path: own}}
	_, err := dm.controlReload(context.Background(), control.ReloadRequest{ConfigFile: other})
	if !errors.Is(err, control.ErrOtherConfig) || !strings.Contains(err.Error(), "restart halvs with -c "+other) {
		t.Errorf("reload of another file: %v, want ErrOtherConfig", err)
	}
	tests := []struct {
		a, b string
		want bool
	}{
		{own, own, true},
		{link, own, true},
		{other, own, false},
		{filepath.Join(dir, "absent.hcl"), own, false},
	}
	for _, tt := range tests {
		if got := sameFile(tt.a, tt.b); got != tt.want {
			t.Errorf("sameFile(%s, %s) = %v, want %v", tt.a, tt.b, got, tt.want)
		}
	}
}
