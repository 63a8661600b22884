//go:build vmtest

package vm

import (
	"fmt"
	"io"
	"net"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vishvananda/netns"
)

// inNamespace runs f on an OS thread moved into namespace ns. Sockets keep the namespace they
// were made in, so a connection dialled inside f can be used from any goroutine afterwards.
// The thread stays locked and is discarded when f returns: it never serves another goroutine.
func inNamespace(ns string, f func() error) error {
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		h, err := netns.GetFromName(ns)
		if err != nil {
			errc <- fmt.Errorf("namespace %s: %w", ns, err)
			return
		}
		defer h.Close()
		if err := netns.Set(h); err != nil {
			errc <- fmt.Errorf("entering namespace %s: %w", ns, err)
			return
		}
		errc <- f()
	}()
	return <-errc
}

// request is one HTTP request the client made to the VIP.
type request struct {
	at     time.Time // when it started
	server string    // who answered (the first word of its page), "" when it failed
	err    error
}

// getVIP makes one HTTP/1.0 request to http://VIP/ on a new TCP connection (from the calling
// thread's namespace) and returns who answered.
func getVIP(timeout time.Duration) (string, error) {
	conn, err := net.DialTimeout("tcp", vip.String()+":80", timeout)
	if err != nil {
		return "", err
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(timeout))
	if _, err := io.WriteString(conn, "GET / HTTP/1.0\r\nHost: "+vip.String()+"\r\n\r\n"); err != nil {
		return "", err
	}
	b, err := io.ReadAll(conn)
	if err != nil {
		return "", err
	}
	_, body, ok := strings.Cut(string(b), "\r\n\r\n")
	if !strings.HasPrefix(string(b), "HTTP/1.") || !strings.Contains(string(b), " 200 ") || !ok {
		return "", fmt.Errorf("not a 200 answer: %q", b)
	}
	f := strings.Fields(body)
	if len(f) == 0 {
		return "", fmt.Errorf("empty page")
	}
	return f[0], nil
}

// prober is the client polling http://VIP/ continuously, one new connection per request,
// from the client namespace. Requests are bounded by a timeout, so an unanswered one (a VIP
// nobody holds) costs that long and is counted as failed.
type prober struct {
	// capture, when set, explains failed requests in the moves' checks.
	capture *clientCapture

	mu   sync.Mutex
	reqs []request
	stop chan struct{}
	done chan struct{}
}

const probeTimeout = time.Second

// startProber starts the client polling, one request every interval (or back to back when a
// request takes longer). It stops when the test ends.
func startProber(t *testing.T, interval time.Duration) *prober {
	t.Helper()
	return startProberIn(t, client.ns, interval, probeTimeout)
}

// startProberIn is startProber from namespace ns (the active-active lab's client network),
// each request bounded by timeout.
func startProberIn(t *testing.T, ns string, interval, timeout time.Duration) *prober {
	t.Helper()
	p := &prober{stop: make(chan struct{}), done: make(chan struct{})}
	started := make(chan error, 1)
	go func() {
		defer close(p.done)
		err := inNamespace(ns, func() error {
			started <- nil
			for {
				at := time.Now()
				srv, err := getVIP(timeout)
				p.mu.Lock()
				p.reqs = append(p.reqs, request{at: at, server: srv, err: err})
				p.mu.Unlock()
				select {
				case <-p.stop:
					return nil
				case <-time.After(time.Until(at.Add(interval))):
				}
			}
		})
		if err != nil {
			started <- err
		}
	}()
	if err := <-started; err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.halt)
	return p
}

// halt stops the polling (idempotent).
func (p *prober) halt() {
	select {
	case <-p.stop:
	default:
		close(p.stop)
	}
	<-p.done
}

// between returns the requests that started in [from, to) (to zero: until now).
func (p *prober) between(from, to time.Time) []request {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []request
	for _, r := range p.reqs {
		if !r.at.Before(from) && (to.IsZero() || r.at.Before(to)) {
			out = append(out, r)
		}
	}
	return out
}

// waitCount waits until at least n requests started at or after from have finished and
// returns them; it fails the test if that takes longer than limit.
func (p *prober) waitCount(t *testing.T, from time.Time, n int, limit time.Duration) []request {
	t.Helper()
	deadline := time.Now().Add(limit)
	for {
		if got := p.between(from, time.Time{}); len(got) >= n {
			return got[:n]
		}
		if time.Now().After(deadline) {
			t.Fatalf("the client made %d of %d requests in %v", len(p.between(from, time.Time{})), n, limit)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// count tallies requests by who answered; failures count under "FAIL".
func count(reqs []request) tally {
	got := tally{}
	for _, r := range reqs {
		if r.err != nil {
			got["FAIL"]++
		} else {
			got[r.server]++
		}
	}
	return got
}

// lastError is the error of the last failed request, for messages.
func lastError(reqs []request) error {
	for i := len(reqs) - 1; i >= 0; i-- {
		if reqs[i].err != nil {
			return reqs[i].err
		}
	}
	return nil
}
