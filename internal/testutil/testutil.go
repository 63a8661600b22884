// Package testutil holds the helpers halvs' tests share: a buffer that goroutines or a child
// process write while the test reads it, a poll for a condition that comes true
// asynchronously, and a TCP server whose every connection a function handles.
package testutil

import (
	"bytes"
	"net"
	"net/netip"
	"sync"
	"testing"
	"time"
)

// Buffer is a bytes.Buffer that is safe for concurrent use: a process or a logger writes it
// while the test reads it.
type Buffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

// Write appends p.
func (s *Buffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

// String returns what has been written so far.
func (s *Buffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// Bytes returns a copy of what has been written so far.
func (s *Buffer) Bytes() []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return bytes.Clone(s.b.Bytes())
}

// pollInterval is how long Eventually sleeps between two looks at the condition.
const pollInterval = 5 * time.Millisecond

// Eventually polls cond until it holds; it fails t if cond does not hold within timeout.
func Eventually(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		time.Sleep(pollInterval)
	}
}

// Serve listens on TCP addr ("127.0.0.1:0" for any free port) and serves it as
// ServeListener does. It returns the address it listens on.
func Serve(t testing.TB, addr string, handle func(net.Conn)) netip.AddrPort {
	t.Helper()
	l, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	ServeListener(t, l, handle)
	return netip.MustParseAddrPort(l.Addr().String())
}

// ServeListener hands every connection l accepts to handle in a goroutine of its own;
// handle closes it. l closes when the test ends. It fails no test, so it may be called
// from any goroutine (inside a network namespace's, for one).
func ServeListener(t testing.TB, l net.Listener, handle func(net.Conn)) {
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go handle(c)
		}
	}()
}
