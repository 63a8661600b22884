package control

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// netipEq compares netip values by value (cmp cannot see their unexported fields).
var netipEq = cmpopts.EquateComparable(netip.Addr{}, netip.Prefix{}, netip.AddrPort{})

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// serve starts a server for h on a fresh socket and returns a client for it.
func serve(t *testing.T, h Handlers, tweak ...func(*Server)) *Client {
	t.Helper()
	path := filepath.Join(t.TempDir(), "halvs.sock")
	l, err := Listen(path)
	if err != nil {
		t.Fatal(err)
	}
	s := NewServer(h, quiet)
	for _, f := range tweak {
		f(s)
	}
	done := make(chan error, 1)
	go func() { done <- s.Serve(l) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := s.Shutdown(ctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
		if err := <-done; !errors.Is(err, http.ErrServerClosed) {
			t.Errorf("serve: %v", err)
		}
		if _, err := os.Lstat(path); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("socket file left behind after shutdown: %v", err)
		}
	})
	return NewClient(path)
}

func sampleStatus() *Status {
	at := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	return &Status{
		SchemaVersion: StatusVersion, Time: at, RouterID: "director-a", ConfigFile: "/etc/halvs/halvs.hcl",
		Instances: []Instance{{
			Name: "VI_1", Interface: "eth0", VRID: 51, Version: 2, State: "MASTER",
			Priority: 150, EffectivePriority: 150, MasterAddr: netip.MustParseAddr("10.10.10.30"),
			Since:          at.Add(-time.Hour),
			LastTransition: &Transition{From: "BACKUP", To: "MASTER", Reason: "master down timer expired", At: at.Add(-time.Hour)},
			VIPs:           []netip.Prefix{netip.MustParsePrefix("10.10.10.22/32")},
			Counters:       Counters{AdvertsSent: 3600, Drops: map[string]uint64{"ttl": 2}, Transitions: map[string]uint64{"MASTER": 1, "BACKUP": 1}},
		}},
		VirtualServers: []VirtualServer{{
			Name: "10.10.10.22:80", Protocol: "TCP", Scheduler: "wrr", Method: "DR", Quorum: 1, QuorumUp: true, AliveWeight: 3,
			Stats: &IPVSStats{Connections: 10, BytesIn: 1000},
			RealServers: []RealServer{{
				Addr: netip.MustParseAddrPort("10.10.10.31:80"), Weight: 3, EffectiveWeight: 3, InTable: true,
				Health: HealthUp, HealthSince: at.Add(-time.Minute),
				LastCheck:   &CheckResult{Checker: "tcp_check 10.10.10.31:80", At: at, OK: true, Latency: Duration(1500 * time.Microsecond)},
				ActiveConns: 4, InactiveConns: 7,
			}},
		}},
		SyncDaemon: &SyncDaemon{Role: "master", Interface: "eth0", SyncID: 51, Instance: "VI_1"},
	}
}

func TestStatusRoundTrip(t *testing.T) {
	want := sampleStatus()
	c := serve(t, Handlers{Status: func(context.Context) (*Status, error) { return want, nil }})
	got, err := c.Status(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got, netipEq); diff != "" {
		t.Errorf("status (-want +got):\n%s", diff)
	}
}

func TestFailover(t *testing.T) {
	var mu sync.Mutex
	var seen []FailoverRequest
	until := time.Date(2025, 3, 1, 12, 1, 0, 0, time.UTC)
	c := serve(t, Handlers{Failover: func(_ context.Context, req FailoverRequest) (*FailoverResult, error) {
		mu.Lock()
		seen = append(seen, req)
		mu.Unlock()
		switch req.Instance {
		case "VI_1", "":
			return &FailoverResult{Instances: []string{"VI_1"}, HoldUntil: until}, nil
		case "VI_2":
			return nil, fmt.Errorf("VI_2 is BACKUP: %w", ErrNotMaster)
		}
		return nil, fmt.Errorf("%q: %w", req.Instance, ErrUnknownInstance)
	}})
	tests := []struct {
		name    string
		req     FailoverRequest
		want    *FailoverResult
		wantErr error
		status  int
	}{
		{name: "named master", req: FailoverRequest{Instance: "VI_1", Hold: Duration(30 * time.Second)}, want: &FailoverResult{Instances: []string{"VI_1"}, HoldUntil: until}},
		{name: "all masters", req: FailoverRequest{}, want: &FailoverResult{Instances: []string{"VI_1"}, HoldUntil: until}},
		{name: "backup", req: FailoverRequest{Instance: "VI_2"}, wantErr: ErrNotMaster, status: 409},
		{name: "unknown", req: FailoverRequest{Instance: "nope"}, wantErr: ErrUnknownInstance, status: 404},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := c.Failover(context.Background(), tt.req)
			if tt.wantErr != nil {
				var ae *Error
				if !errors.Is(err, tt.wantErr) || !errors.As(err, &ae) || ae.Status != tt.status {
					t.Fatalf("err = %v, want %v with status %d", err, tt.wantErr, tt.status)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
	mu.Lock()
	defer mu.Unlock()
	if diff := cmp.Diff(FailoverRequest{Instance: "VI_1", Hold: Duration(30 * time.Second)}, seen[0]); diff != "" {
		t.Errorf("request seen by the director (-want +got):\n%s", diff)
	}
}

// rawPost sends a body the typed client would never send.
func rawPost(t *testing.T, c *Client, path, body string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, "http://halvs"+path, strings.NewReader(body))
	resp, err := c.http.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestFailoverBadRequests(t *testing.T) {
	called := false
	c := serve(t, Handlers{Failover: func(context.Context, FailoverRequest) (*FailoverResult, error) {
		called = true
		return &FailoverResult{}, nil
	}})
	for _, body := range []string{`{"instance":`, `{"instnce":"VI_1"}`, `{"hold":"soon"}`, `{"hold":"-5s"}`} {
		status, text := rawPost(t, c, PathFailover, body)
		if status != http.StatusBadRequest || !strings.Contains(text, `"bad_request"`) {
			t.Errorf("POST %s: %d %s, want 400 bad_request", body, status, text)
		}
	}
	if called {
		t.Error("the director was called for a malformed request")
	}
	// An empty body is "every MASTER instance, default hold".
	if status, text := rawPost(t, c, PathFailover, ""); status != http.StatusOK || !called {
		t.Errorf("empty body: %d %s", status, text)
	}
}

func TestReload(t *testing.T) {
	fail := false
	var seen []ReloadRequest
	c := serve(t, Handlers{Reload: func(_ context.Context, req ReloadRequest) (*ReloadResult, error) {
		seen = append(seen, req)
		if fail {
			return nil, &DiagnosticsError{Err: fmt.Errorf("%w: /etc/halvs.hcl refused", ErrReloadFailed),
				Diagnostics: []string{"/etc/halvs.hcl:3:5: error: unknown keyword", "/etc/halvs.hcl:9:1: warning: deprecated"}}
		}
		return &ReloadResult{ConfigFile: "/etc/halvs.hcl", Changes: []string{"real server 10.10.10.33:80 added"}}, nil
	}})
	got, err := c.Reload(context.Background(), ReloadRequest{ConfigFile: "/etc/halvs.hcl"})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(&ReloadResult{ConfigFile: "/etc/halvs.hcl", Changes: []string{"real server 10.10.10.33:80 added"}}, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	fail = true
	_, err = c.Reload(context.Background(), ReloadRequest{})
	var ae *Error
	if !errors.Is(err, ErrReloadFailed) || !errors.As(err, &ae) {
		t.Fatalf("failed reload: err = %v, want ErrReloadFailed", err)
	}
	want := &Error{Status: 422, Code: "reload_failed", Message: "reload failed: /etc/halvs.hcl refused",
		Details: []string{"/etc/halvs.hcl:3:5: error: unknown keyword", "/etc/halvs.hcl:9:1: warning: deprecated"}}
	if diff := cmp.Diff(want, ae); diff != "" {
		t.Errorf("failed reload (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]ReloadRequest{{ConfigFile: "/etc/halvs.hcl"}, {}}, seen); diff != "" {
		t.Errorf("requests seen by the director (-want +got):\n%s", diff)
	}
}

func TestReloadBadRequests(t *testing.T) {
	called := false
	c := serve(t, Handlers{Reload: func(context.Context, ReloadRequest) (*ReloadResult, error) {
		called = true
		return &ReloadResult{}, nil
	}})
	for _, body := range []string{`{"config_file":`, `{"file":"/etc/halvs.hcl"}`, `{"config_file":"halvs.hcl"}`, `{"config_file":"/etc/../etc/halvs.hcl"}`} {
		status, text := rawPost(t, c, PathReload, body)
		if status != http.StatusBadRequest || !strings.Contains(text, `"bad_request"`) {
			t.Errorf("POST %s: %d %s, want 400 bad_request", body, status, text)
		}
	}
	if called {
		t.Error("the director was called for a malformed request")
	}
	if status, text := rawPost(t, c, PathReload, ""); status != http.StatusOK || !called {
		t.Errorf("empty body: %d %s", status, text)
	}
}

func TestUnimplementedAndInternal(t *testing.T) {
	c := serve(t, Handlers{Status: func(context.Context) (*Status, error) { return nil, errors.New("boom") }})
	var ae *Error
	if _, err := c.Status(context.Background()); !errors.As(err, &ae) || ae.Status != 500 || ae.Code != "internal" {
		t.Errorf("status error = %#v", err)
	}
	if _, err := c.Reload(context.Background(), ReloadRequest{}); !errors.Is(err, ErrNotImplemented) {
		t.Errorf("reload without handler: %v, want ErrNotImplemented", err)
	}
	if _, err := c.Failover(context.Background(), FailoverRequest{}); !errors.Is(err, ErrNotImplemented) {
		t.Errorf("failover without handler: %v, want ErrNotImplemented", err)
	}
}

func TestListenMode(t *testing.T) {
	path := filepath.Join(t.TempDir(), "halvs.sock")
	l, err := Listen(path)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := fi.Mode(); got.Type() != os.ModeSocket || got.Perm() != 0o600 {
		t.Errorf("mode = %v, want a socket with 0600", got)
	}
}

func TestListenStaleAndInUse(t *testing.T) {
	dir := t.TempDir()

	// A stale socket: bound, then its owner died without unlinking it.
	stale := filepath.Join(dir, "stale.sock")
	l, err := net.ListenUnix("unix", &net.UnixAddr{Name: stale, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	l.SetUnlinkOnClose(false)
	l.Close()
	l2, err := Listen(stale)
	if err != nil {
		t.Fatalf("stale socket not replaced: %v", err)
	}

	// A live one: the listener above answers.
	if _, err := Listen(stale); !errors.Is(err, ErrInUse) {
		t.Errorf("second Listen on a live socket: %v, want ErrInUse", err)
	}
	l2.Close()

	// Not a socket: refused and left alone.
	file := filepath.Join(dir, "file")
	if err := os.WriteFile(file, []byte("keep me"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Listen(file); err == nil || !strings.Contains(err.Error(), "not a socket") {
		t.Errorf("Listen on a regular file: %v", err)
	}
	if b, _ := os.ReadFile(file); string(b) != "keep me" {
		t.Errorf("regular file was changed: %q", b)
	}
}

func TestPeerRefused(t *testing.T) {
	c := serve(t, Handlers{Status: func(context.Context) (*Status, error) { return sampleStatus(), nil }},
		func(s *Server) { s.allow = func(uint32) bool { return false } })
	if _, err := c.Status(context.Background()); err == nil {
		t.Error("a peer the server does not allow got an answer")
	}
}

func TestClientNoServer(t *testing.T) {
	c := NewClient(filepath.Join(t.TempDir(), "absent.sock"))
	_, err := c.Status(context.Background())
	if err == nil || !strings.Contains(err.Error(), "no halvs is running") {
		t.Errorf("err = %v", err)
	}
}

func TestDurationJSON(t *testing.T) {
	var d Duration
	if err := d.UnmarshalJSON([]byte(`"1.5ms"`)); err != nil || time.Duration(d) != 1500*time.Microsecond {
		t.Errorf("unmarshal: %v %v", d, err)
	}
	if err := d.UnmarshalJSON([]byte(`1500`)); err == nil {
		t.Error("a bare number was accepted as a duration")
	}
	b, _ := Duration(2 * time.Second).MarshalJSON()
	if string(b) != `"2s"` {
		t.Errorf("marshal = %s", b)
	}
}
