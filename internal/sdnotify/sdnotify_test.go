package sdnotify

import (
	"fmt"
	"net"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// listen makes a unixgram socket standing in for systemd's and points NOTIFY_SOCKET at it.
func listen(t *testing.T) *net.UnixConn {
	t.Helper()
	path := filepath.Join(t.TempDir(), "notify.sock")
	c, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	t.Setenv("NOTIFY_SOCKET", path)
	return c
}

func read(t *testing.T, c *net.UnixConn) string {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	buf := make([]byte, 4096)
	n, err := c.Read(buf)
	if err != nil {
		t.Fatalf("no notification: %v", err)
	}
	return string(buf[:n])
}

func TestMessages(t *testing.T) {
	c := listen(t)
	n := &Notifier{now: func() uint64 { return 123456789 }}
	steps := []struct {
		name string
		send func() error
		want string
	}{
		{"ready", func() error { return n.Ready("2 instances, 1 virtual server") }, "READY=1\nSTATUS=2 instances, 1 virtual server"},
		{"reloading", func() error { return n.Reloading("reloading /etc/halvs/halvs.hcl") }, "RELOADING=1\nMONOTONIC_USEC=123456789\nSTATUS=reloading /etc/halvs/halvs.hcl"},
		{"ready after reload", func() error { return n.Ready("") }, "READY=1"},
		{"status flattened", func() error { return n.Status("VI_1 MASTER\nVI_2 BACKUP") }, "STATUS=VI_1 MASTER VI_2 BACKUP"},
		{"stopping", func() error { return n.Stopping("releasing VIPs") }, "STOPPING=1\nSTATUS=releasing VIPs"},
	}
	for _, s := range steps {
		if err := s.send(); err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		if diff := cmp.Diff(s.want, read(t, c)); diff != "" {
			t.Errorf("%s (-want +got):\n%s", s.name, diff)
		}
	}
}

func TestMonotonicClock(t *testing.T) {
	c := listen(t)
	if err := New().Reloading(""); err != nil {
		t.Fatal(err)
	}
	var usec uint64
	got := read(t, c)
	if _, err := fmt.Sscanf(got, "RELOADING=1\nMONOTONIC_USEC=%d", &usec); err != nil || usec == 0 {
		t.Errorf("message %q: want a non-zero MONOTONIC_USEC (%v)", got, err)
	}
}

func TestNoSocketIsSilent(t *testing.T) {
	t.Setenv("NOTIFY_SOCKET", "")
	if err := New().Ready("x"); err != nil {
		t.Errorf("without NOTIFY_SOCKET: %v", err)
	}
}
