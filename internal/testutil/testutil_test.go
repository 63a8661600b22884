package testutil

import (
	"fmt"
	"io"
	"net"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestBufferConcurrentWrites(t *testing.T) {
	var b Buffer
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			fmt.Fprintf(&b, "%d\n", i)
			_ = b.String()
		}()
	}
	wg.Wait()
	if got := len(b.Bytes()); got != 16 {
		t.Errorf("%d bytes written, want 16 (%q)", got, b.String())
	}
}

func TestEventually(t *testing.T) {
	var n atomic.Int32
	Eventually(t, 5*time.Second, "the third look", func() bool { return n.Add(1) == 3 })
	if got := n.Load(); got != 3 {
		t.Errorf("cond called %d times, want 3", got)
	}
	ft := &fatalRecorder{TB: t}
	done := make(chan struct{})
	go func() { // Fatalf ends the goroutine, as it does a test
		defer close(done)
		Eventually(ft, 20*time.Millisecond, "never", func() bool { return false })
	}()
	<-done
	if want := "timed out after 20ms waiting for never"; ft.msg != want {
		t.Errorf("failure %q, want %q", ft.msg, want)
	}
}

// fatalRecorder keeps the message of Fatalf instead of failing the test.
type fatalRecorder struct {
	testing.TB
	msg string
}

func (f *fatalRecorder) Helper() {}

func (f *fatalRecorder) Fatalf(format string, args ...any) {
	f.msg = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

func TestServe(t *testing.T) {
	addr := Serve(t, "127.0.0.1:0", func(c net.Conn) {
		defer c.Close()
		io.WriteString(c, "hello")
	})
	for range 2 { // every connection, not just the first
		c, err := net.Dial("tcp", addr.String())
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(c)
		c.Close()
		if err != nil || string(b) != "hello" {
			t.Errorf("read %q, %v; want hello", b, err)
		}
	}
}
