package metrics

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/halvs/halvs/internal/httplimit"
)

func TestWildcard(t *testing.T) {
	tests := []struct {
		addr string
		want bool
	}{
		{":9650", true},
		{"0.0.0.0:9650", true},
		{"[::]:9650", true},
		{"[::0]:9650", true},
		{"127.0.0.1:9650", false},
		{"[::1]:9650", false},
		{"10.10.10.30:9650", false},
		{"localhost:9650", false},
	}
	for _, tt := range tests {
		if got := wildcard(tt.addr); got != tt.want {
			t.Errorf("wildcard(%q) = %v, want %v", tt.addr, got, tt.want)
		}
	}
}

// TestListenWarnsOnWildcard: listening on every interface logs a warning; a loopback
// address does not.
func TestListenWarnsOnWildcard(t *testing.T) {
	tests := []struct {
		name string
		addr string
		want bool
	}{
		{"empty host", ":0", true},
		{"IPv4 unspecified", "0.0.0.0:0", true},
		{"loopback", "127.0.0.1:0", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var logs bytes.Buffer
			l, err := Listen(tt.addr, slog.New(slog.NewTextHandler(&logs, nil)))
			if err != nil {
				t.Fatal(err)
			}
			l.Close()
			got := strings.Contains(logs.String(), "level=WARN") && strings.Contains(logs.String(), "every interface")
			if got != tt.want {
				t.Errorf("Listen(%q) warned: %v, want %v; log:\n%s", tt.addr, got, tt.want, logs.String())
			}
		})
	}
}

// TestServeClosesIdleConnections: a kept-alive connection that sends nothing more is
// closed after IdleTimeout (without one, net/http keeps it forever).
func TestServeClosesIdleConnections(t *testing.T) {
	m := New(newFake().Status, "test")
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- serve(ctx, l, routes(m.Handler(), nil), httplimit.Limits{IdleTimeout: 50 * time.Millisecond})
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	conn, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	const patience = 10 * time.Second
	conn.SetDeadline(time.Now().Add(patience))
	br := bufio.NewReader(conn)
	io.WriteString(conn, "GET /metrics HTTP/1.1\r\nHost: halvs\r\n\r\n")
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Close {
		t.Fatalf("scrape: %s, close %v; want 200 on a kept-alive connection", resp.Status, resp.Close)
	}
	if _, err := io.ReadAll(br); errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("an idle connection was still open after %v", patience)
	}
}

// TestRoutesReadOnly: the listener answers GET and HEAD only, on /metrics and, when there is
// one, the status page; every other method is 405 whatever the path.
func TestRoutesReadOnly(t *testing.T) {
	m := New(newFake().Status, "test")
	page := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "page "+r.URL.Path) })
	tests := []struct {
		name         string
		page         http.Handler
		method, path string
		want         int
	}{
		{"metrics", page, "GET", "/metrics", 200},
		{"metrics HEAD", page, "HEAD", "/metrics", 200},
		{"page", page, "GET", "/", 200},
		{"page HEAD", page, "HEAD", "/status.json", 200},
		{"POST page", page, "POST", "/", 405},
		{"PUT metrics", page, "PUT", "/metrics", 405},
		{"DELETE json", page, "DELETE", "/status.json", 405},
		{"OPTIONS", page, "OPTIONS", "/", 405},
		{"no page", nil, "GET", "/", 404},
		{"no page POST", nil, "POST", "/", 405},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := httptest.NewRecorder()
			routes(m.Handler(), tt.page).ServeHTTP(w, httptest.NewRequest(tt.method, tt.path, nil))
			if w.Code != tt.want {
				t.Errorf("%s %s: %d, want %d", tt.method, tt.path, w.Code, tt.want)
			}
			if tt.want == 405 && w.Header().Get("Allow") != "GET, HEAD" {
				t.Errorf("%s %s: Allow %q", tt.method, tt.path, w.Header().Get("Allow"))
			}
		})
	}
}
