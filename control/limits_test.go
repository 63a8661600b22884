package control

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/halvs/halvs/internal/httplimit"
)

// patience bounds every wait for something that must happen; the limits under test are far
// shorter, so a pass never depends on the machine being quick.
const patience = 10 * time.Second

// keepAliveStatus sends GET /v1/status on a fresh connection to c's socket, reads the
// reply and returns the connection, still open.
func keepAliveStatus(t *testing.T, c *Client) (net.Conn, *bufio.Reader) {
	t.Helper()
	conn, err := net.Dial("unix", c.Path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	br := bufio.NewReader(conn)
	conn.SetDeadline(time.Now().Add(patience))
	if _, err := io.WriteString(conn, "GET "+PathStatus+" HTTP/1.1\r\nHost: halvs\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status: %s", resp.Status)
	}
	return conn, br
}

func statusHandlers() Handlers {
	return Handlers{Status: func(context.Context) (*Status, error) { return sampleStatus(), nil }}
}

func withLimits(lim httplimit.Limits) func(*Server) { return func(s *Server) { s.Limits = lim } }

func TestIdleConnectionClosed(t *testing.T) {
	c := serve(t, statusHandlers(), withLimits(httplimit.Limits{IdleTimeout: 50 * time.Millisecond}))
	conn, br := keepAliveStatus(t, c)
	conn.SetReadDeadline(time.Now().Add(patience))
	if _, err := io.ReadAll(br); errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("an idle keep-alive connection was still open after %v", patience)
	}
}

func TestSlowHeadersCut(t *testing.T) {
	c := serve(t, statusHandlers(), withLimits(httplimit.Limits{ReadHeaderTimeout: 50 * time.Millisecond}))
	conn, err := net.Dial("unix", c.Path)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	io.WriteString(conn, "GET "+PathStatus+" HTTP/1.1\r\nHo")
	conn.SetReadDeadline(time.Now().Add(patience))
	if _, err := io.ReadAll(conn); errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("a client that never finished its headers was still connected after %v", patience)
	}
}

// TestConnectionCap: beyond MaxConns a client waits, and is answered once a slot frees; a
// burst far beyond it is answered in turn.
func TestConnectionCap(t *testing.T) {
	c := serve(t, statusHandlers(), withLimits(httplimit.Limits{MaxConns: 2, IdleTimeout: time.Minute}))
	first, _ := keepAliveStatus(t, c)
	keepAliveStatus(t, c)

	res := make(chan error, 1)
	go func() {
		_, err := c.Status(context.Background())
		res <- err
	}()
	select {
	case err := <-res:
		t.Fatalf("a third client was served (err %v) while two connections held both slots", err)
	case <-time.After(300 * time.Millisecond):
	}
	first.Close()
	select {
	case err := <-res:
		if err != nil {
			t.Fatalf("the waiting client: %v", err)
		}
	case <-time.After(patience):
		t.Fatal("the waiting client was not served after a slot freed")
	}

	// A burst far beyond the cap is queued, not refused: every client gets its status.
	const clients = 500
	errs := make(chan error, clients)
	for range clients {
		go func() {
			_, err := c.Status(context.Background())
			errs <- err
		}()
	}
	failed := 0
	for range clients {
		if err := <-errs; err != nil {
			if failed == 0 {
				t.Errorf("a client of the burst failed: %v", err)
			}
			failed++
		}
	}
	if failed > 0 {
		t.Errorf("%d of a burst of %d clients failed", failed, clients)
	}
}

// TestLongOperationsOutlastWriteTimeout: a reload or failover that takes longer than
// WriteTimeout still delivers its reply.
func TestLongOperationsOutlastWriteTimeout(t *testing.T) {
	const writeTimeout = 50 * time.Millisecond
	slow := func() { time.Sleep(4 * writeTimeout) }
	c := serve(t, Handlers{
		Reload: func(context.Context, ReloadRequest) (*ReloadResult, error) {
			slow()
			return &ReloadResult{ConfigFile: "/etc/halvs.hcl"}, nil
		},
		Failover: func(context.Context, FailoverRequest) (*FailoverResult, error) {
			slow()
			return &FailoverResult{Instances: []string{"VI_1"}}, nil
		},
	}, withLimits(httplimit.Limits{WriteTimeout: writeTimeout}))
	if res, err := c.Reload(context.Background(), ReloadRequest{}); err != nil || res.ConfigFile != "/etc/halvs.hcl" {
		t.Errorf("reload: %+v, %v", res, err)
	}
	if res, err := c.Failover(context.Background(), FailoverRequest{}); err != nil || len(res.Instances) != 1 {
		t.Errorf("failover: %+v, %v", res, err)
	}
}
