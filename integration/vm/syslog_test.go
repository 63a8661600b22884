//go:build vmtest

package vm

import (
	"net"
	"os"
	"strings"
	"sync"
	"testing"
)

// captureSyslog listens on /dev/log until the test ends and returns a function that reads
// what arrived. keepalived logs through syslog(3); with no syslog daemon in the guest, glibc
// would fall back to the console and drown the test output. Only one capture at a time.
func captureSyslog(t *testing.T) func() string {
	t.Helper()
	const path = "/dev/log"
	os.Remove(path)
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		t.Fatalf("listening on %s: %v", path, err)
	}
	var (
		mu   sync.Mutex
		msgs strings.Builder
		done = make(chan struct{})
	)
	go func() {
		defer close(done)
		buf := make([]byte, 64<<10)
		for {
			n, err := conn.Read(buf)
			if err != nil {
				return
			}
			mu.Lock()
			msgs.WriteString(strings.TrimRight(string(buf[:n]), "\n") + "\n")
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		conn.Close()
		<-done
		os.Remove(path)
	})
	return func() string {
		mu.Lock()
		defer mu.Unlock()
		return msgs.String()
	}
}
