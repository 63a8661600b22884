package httplimit

import (
	"log"
	"net"
	"net/http"
	"time"

	"golang.org/x/net/netutil"
)

// Limits are one server's bounds. A zero duration or MaxConns means no bound, as in
// net/http; the servers always set them all.
type Limits struct {
	// ReadHeaderTimeout is how long a client may take to send a request's headers.
	ReadHeaderTimeout time.Duration
	// ReadTimeout is how long it may take to send the whole request, body included.
	ReadTimeout time.Duration
	// WriteTimeout runs from the end of the request's headers to the end of the reply. A
	// handler whose work takes longer (a reload) lifts it while it works: see LiftWriteTimeout.
	WriteTimeout time.Duration
	// IdleTimeout is how long a kept-alive connection may wait for its next request.
	IdleTimeout time.Duration
	// MaxConns is how many connections are served at once. Beyond it a connection waits in
	// the kernel's listen queue until a served one closes; the timeouts above bound how long
	// that can be, except for a request whose handler is still working.
	MaxConns int
}

// Server returns an http.Server for h with these timeouts; errorLog may be nil.
func (l Limits) Server(h http.Handler, errorLog *log.Logger) *http.Server {
	srv := &http.Server{Handler: h, ErrorLog: errorLog}
	l.Apply(srv)
	return srv
}

// Apply sets srv's timeouts to these; srv must not be serving yet.
func (l Limits) Apply(srv *http.Server) {
	srv.ReadHeaderTimeout, srv.ReadTimeout = l.ReadHeaderTimeout, l.ReadTimeout
	srv.WriteTimeout, srv.IdleTimeout = l.WriteTimeout, l.IdleTimeout
}

// Listener returns ln limited to MaxConns connections at once (ln itself when MaxConns is 0).
// Closing it closes ln.
func (l Limits) Listener(ln net.Listener) net.Listener {
	if l.MaxConns <= 0 {
		return ln
	}
	return netutil.LimitListener(ln, l.MaxConns)
}

// LiftWriteTimeout lets a handler work past WriteTimeout: it clears the connection's write
// deadline and returns the function to call once the reply is ready, which arms WriteTimeout
// again for writing it. Without it, a reload longer than WriteTimeout would do its work and
// then lose its reply.
func (l Limits) LiftWriteTimeout(w http.ResponseWriter) (rearm func()) {
	rc := http.NewResponseController(w)
	if l.WriteTimeout <= 0 || rc.SetWriteDeadline(time.Time{}) != nil {
		return func() {}
	}
	return func() { _ = rc.SetWriteDeadline(time.Now().Add(l.WriteTimeout)) }
}
