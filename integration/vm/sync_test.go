//go:build vmtest

package vm

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// bigSize is the file the long-lived connection downloads: large enough that, read slowly,
// the download outlasts the takeover.
const bigSize = 8 << 20

// TestDirectorSyncDaemonKeepsConnection: with global lvs_sync_daemon, the master's IPVS
// connection entries reach the backup, so a TCP connection established through the master
// survives its death: after the takeover the client's packets reach the backup, which forwards
// them to the same real server instead of answering with a reset.
func TestDirectorSyncDaemonKeepsConnection(t *testing.T) {
	lab(t)
	freshDirectors(t)
	dir := t.TempDir()
	edits := append(quickChecks, `router_id = "LVS_DEVEL"`, `router_id = "LVS_DEVEL"
  lvs_sync_daemon {
    interface = "eth0"
    instance  = "VI_1"
  }`)
	confA := seedVariant(t, dir, "director-a.hcl", edits...)
	confB := seedVariant(t, dir, "director-b.hcl", edits...)
	for _, rs := range realServers {
		nsRun(t, rs.ns, fmt.Sprintf("dd if=/dev/zero of=/tmp/www-%s/big bs=1M count=%d 2>/dev/null", rs.ns, bigSize>>20))
		t.Cleanup(func() { nsRunErr(rs.ns, "rm -f /tmp/www-"+rs.ns+"/big") })
	}

	t0 := time.Now()
	b := startHalvs(t, "B", dirB, confB, dir+"/director-b.log")
	a := startHalvs(t, "A", dirA, confA, dir+"/director-a.log")
	defer func() {
		if t.Failed() {
			t.Logf("director A's log:\n%s\ndirector B's log:\n%s", a.tail(60), b.tail(60))
		}
	}()
	a.waitLog(t, t0, 20*time.Second, stateWords("MASTER")...)
	b.waitLog(t, t0, 20*time.Second, stateWords("BACKUP")...)
	a.waitLog(t, t0, 20*time.Second, `msg="IPVS sync daemon started"`, "role=master")
	b.waitLog(t, t0, 20*time.Second, `msg="IPVS sync daemon started"`, "role=backup")
	want := map[string]dest{destKey(rs1): {Forward: "Route", Weight: 3}, destKey(rs2): {Forward: "Route", Weight: 3}}
	for _, d := range []host{dirA, dirB} {
		if got, ok := waitTable(t, d, want, 15*time.Second); !ok {
			t.Fatalf("IPVS table on %s:\n%s", d.ns, got)
		}
	}

	dl := startDownload(t, "/big")
	dl.waitRead(t, 256<<10, 20*time.Second)
	entry := fmt.Sprintf("%s %s:80", dl.local, vip)
	synced := waitConn(t, dirB, entry, 15*time.Second)
	t.Logf("the connection as the backup learnt it from the master's sync daemon: %s", synced)

	killed := a.kill(t)
	tB := b.waitLog(t, killed, 20*time.Second, stateWords("MASTER")...)
	atTakeover := dl.read()
	t.Logf("B MASTER %v after the kill; %d bytes read by then", tB.Sub(killed).Round(time.Millisecond), atTakeover)
	// Half a MiB more, read slowly after the takeover, crosses the backup many times over.
	dl.waitRead(t, atTakeover+512<<10, 30*time.Second)
	if mac, macB := neighMAC(t, client.ns, vip.String()), linkMAC(t, dirB.ns); mac != macB {
		t.Errorf("the client sends to the VIP at %s, not at B's %s: the test did not cross the takeover", mac, macB)
	}
	waitConn(t, dirB, entry, time.Second)
	n, err := dl.finish(t)
	if err != nil || n != bigSize {
		t.Fatalf("download through the takeover: %d of %d bytes, err %v", n, bigSize, err)
	}
	t.Logf("the connection survived the takeover: %d bytes, %d of them after it", n, n-atTakeover)
}

// waitConn waits until director d's IPVS connection table (ipvsadm -Lnc) has an ESTABLISHED
// entry holding entry ("CLIENT:PORT VIP:80") and returns its line.
func waitConn(t *testing.T, d host, entry string, limit time.Duration) string {
	t.Helper()
	deadline := time.Now().Add(limit)
	for {
		out, _ := nsRunErr(d.ns, "ipvsadm -Lnc")
		for _, line := range strings.Split(out, "\n") {
			if strings.Contains(line, "ESTABLISHED") && strings.Contains(strings.Join(strings.Fields(line), " "), entry) {
				return strings.Join(strings.Fields(line), " ")
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no ESTABLISHED entry %q in %s's connection table within %v:\n%s", entry, d.ns, limit, out)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// download is one HTTP GET of a large file through the VIP, read slowly until finish: a
// long-lived TCP connection. A small receive buffer keeps the real server's sending paced by
// the client's reading.
type download struct {
	conn  net.Conn
	local string // the client's address:port, as ipvsadm prints it

	mu    sync.Mutex
	body  int64 // bytes of the body read so far
	fast  bool
	err   error // why reading stopped (nil: the server closed after the whole body)
	ended bool
	done  chan struct{}
}

func startDownload(t *testing.T, path string) *download {
	t.Helper()
	d := &download{done: make(chan struct{})}
	err := inNamespace(client.ns, func() error {
		dialer := net.Dialer{Timeout: 5 * time.Second, Control: func(_, _ string, c syscall.RawConn) error {
			var serr error
			err := c.Control(func(fd uintptr) {
				serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 16<<10)
			})
			if err != nil {
				return err
			}
			return serr
		}}
		var err error
		d.conn, err = dialer.Dial("tcp", vip.String()+":80")
		return err
	})
	if err != nil {
		t.Fatalf("connecting to the VIP: %v", err)
	}
	d.local = d.conn.LocalAddr().String()
	t.Cleanup(func() { d.conn.Close(); <-d.done })
	if _, err := io.WriteString(d.conn, "GET "+path+" HTTP/1.0\r\nHost: "+vip.String()+"\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	go d.run()
	return d
}

// run reads the answer: its header (which must be a 200 of bigSize bytes), then the body,
// 4 KiB every 20 ms (200 KiB/s) until finish asks for full speed.
func (d *download) run() {
	defer close(d.done)
	var head []byte
	inBody := false
	buf := make([]byte, 4<<10)
	err := func() error {
		for {
			d.mu.Lock()
			fast := d.fast
			d.mu.Unlock()
			if !fast {
				time.Sleep(20 * time.Millisecond)
			}
			n, err := d.conn.Read(buf)
			chunk := buf[:n]
			if !inBody && n > 0 {
				head = append(head, chunk...)
				i := bytes.Index(head, []byte("\r\n\r\n"))
				if i < 0 {
					chunk = nil
				} else {
					if err := checkHead(string(head[:i])); err != nil {
						return err
					}
					chunk, inBody = head[i+4:], true
				}
			}
			d.mu.Lock()
			d.body += int64(len(chunk))
			d.mu.Unlock()
			switch {
			case err == io.EOF && !inBody:
				return fmt.Errorf("the connection closed before the header ended: %q", head)
			case err == io.EOF:
				return nil
			case err != nil:
				return err
			}
		}
	}()
	d.mu.Lock()
	d.err, d.ended = err, true
	d.mu.Unlock()
}

// checkHead accepts a 200 answer announcing bigSize bytes.
func checkHead(head string) error {
	if !strings.HasPrefix(head, "HTTP/1.") || !strings.Contains(strings.SplitN(head, "\r\n", 2)[0], " 200 ") {
		return fmt.Errorf("not a 200 answer: %q", head)
	}
	for _, line := range strings.Split(head, "\r\n") {
		name, value, _ := strings.Cut(line, ":")
		if strings.EqualFold(name, "Content-Length") {
			if n, err := strconv.Atoi(strings.TrimSpace(value)); err != nil || n != bigSize {
				return fmt.Errorf("Content-Length %q, want %d", value, bigSize)
			}
			return nil
		}
	}
	return fmt.Errorf("no Content-Length in %q", head)
}

// read is the number of body bytes read so far.
func (d *download) read() int64 {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.body
}

// waitRead waits until at least n body bytes were read; it fails if the download ends first
// (a reset: the connection did not survive) or limit passes.
func (d *download) waitRead(t *testing.T, n int64, limit time.Duration) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for {
		d.mu.Lock()
		body, ended, err := d.body, d.ended, d.err
		d.mu.Unlock()
		switch {
		case body >= n:
			return
		case ended:
			t.Fatalf("the download ended after %d bytes, before %d: %v", body, n, err)
		case time.Now().After(deadline):
			t.Fatalf("the download stalled: %d bytes after %v, want %d", body, limit, n)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// finish reads the rest at full speed and returns the body's size and why reading stopped.
func (d *download) finish(t *testing.T) (int64, error) {
	t.Helper()
	d.mu.Lock()
	d.fast = true
	d.mu.Unlock()
	select {
	case <-d.done:
	case <-time.After(2 * time.Minute):
		t.Fatalf("the download did not end within 2 minutes at full speed (%d bytes)", d.read())
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.body, d.err
}
