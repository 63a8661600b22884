package httplimit

import (
	"bufio"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"testing"
	"time"
)

// patience bounds every wait for something that must happen; the limits under test are far
// shorter, so a pass never depends on the machine being quick.
const patience = 10 * time.Second

func serve(t *testing.T, lim Limits, h http.Handler) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := lim.Server(h, nil)
	go srv.Serve(lim.Listener(ln))
	t.Cleanup(func() { srv.Close() })
	return ln.Addr().String()
}

var hello = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "hello") })

// get sends one keep-alive request on c and reads the reply, within patience.
func get(t *testing.T, c net.Conn, br *bufio.Reader) string {
	t.Helper()
	c.SetDeadline(time.Now().Add(patience))
	if _, err := io.WriteString(c, "GET / HTTP/1.1\r\nHost: halvs\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// closedByServer waits up to patience for the server to close c, and fails if it does not.
func closedByServer(t *testing.T, c net.Conn, br *bufio.Reader) {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(patience))
	_, err := io.ReadAll(br)
	if errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("the server kept the connection open for %v", patience)
	}
}

func dial(t *testing.T, addr string) (net.Conn, *bufio.Reader) {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c, bufio.NewReader(c)
}

func TestIdleConnectionClosed(t *testing.T) {
	addr := serve(t, Limits{IdleTimeout: 50 * time.Millisecond}, hello)
	c, br := dial(t, addr)
	if got := get(t, c, br); got != "hello" {
		t.Fatalf("reply %q", got)
	}
	closedByServer(t, c, br)
}

func TestSlowHeadersCut(t *testing.T) {
	addr := serve(t, Limits{ReadHeaderTimeout: 50 * time.Millisecond}, hello)
	c, br := dial(t, addr)
	if _, err := io.WriteString(c, "GET / HTTP/1.1\r\nHost: hal"); err != nil {
		t.Fatal(err)
	}
	closedByServer(t, c, br)
}

func TestSlowBodyCut(t *testing.T) {
	addr := serve(t, Limits{ReadTimeout: 50 * time.Millisecond}, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
	}))
	c, br := dial(t, addr)
	if _, err := io.WriteString(c, "POST / HTTP/1.1\r\nHost: halvs\r\nContent-Length: 100\r\n\r\n{"); err != nil {
		t.Fatal(err)
	}
	closedByServer(t, c, br)
}

// TestConnectionCap: with MaxConns 1, a second connection is not served while the first is
// open (even idle), and is served once the first closes.
func TestConnectionCap(t *testing.T) {
	addr := serve(t, Limits{MaxConns: 1, IdleTimeout: time.Minute}, hello)
	first, br1 := dial(t, addr)
	if got := get(t, first, br1); got != "hello" {
		t.Fatalf("first connection: reply %q", got)
	}
	second, br2 := dial(t, addr)
	if _, err := io.WriteString(second, "GET / HTTP/1.1\r\nHost: halvs\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	second.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
	if _, err := br2.ReadByte(); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("second connection answered (%v) while the first held the only slot", err)
	}
	first.Close()
	second.SetReadDeadline(time.Now().Add(patience))
	resp, err := http.ReadResponse(br2, nil)
	if err != nil {
		t.Fatalf("second connection after the first closed: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("second connection: %s", resp.Status)
	}
}

// TestLiftWriteTimeout: a handler that works past WriteTimeout after lifting it still gets
// its reply out; one that does not lift it loses the reply (the case the lift is for).
func TestLiftWriteTimeout(t *testing.T) {
	lim := Limits{WriteTimeout: 50 * time.Millisecond}
	tests := []struct {
		name string
		lift bool
		want string
	}{
		{"lifted", true, "done"},
		{"not lifted", false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			addr := serve(t, lim, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				rearm := func() {}
				if tt.lift {
					rearm = lim.LiftWriteTimeout(w)
				}
				time.Sleep(4 * lim.WriteTimeout)
				rearm()
				io.WriteString(w, "done")
			}))
			got := ""
			resp, err := http.Get("http://" + addr + "/")
			if err == nil {
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				got = string(b)
			}
			if got != tt.want {
				t.Errorf("reply %q (err %v), want %q", got, err, tt.want)
			}
		})
	}
}
