package control

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"github.com/halvs/halvs/internal/httplimit"
	"golang.org/x/sys/unix"
)

// ErrInUse is returned by Listen when another process answers on the socket path: a second
// halvs must not take over the first one's socket.
var ErrInUse = errors.New("control socket is in use by another running halvs")

// Listen creates the control socket at path with mode 0600. A stale socket (a file of socket
// type nobody answers on, left by a halvs that died) is removed first; a live one is ErrInUse;
// any other kind of file at path is an error and is left alone. Closing the listener removes
// the socket file.
func Listen(path string) (*net.UnixListener, error) {
	if err := removeStale(path); err != nil {
		return nil, err
	}
	l, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		return nil, fmt.Errorf("control socket: %w", err)
	}
	// Between bind and chmod the file has the umask's mode; the peer check in Server covers
	// anyone who connects in that window.
	if err := os.Chmod(path, 0o600); err != nil {
		l.Close()
		return nil, fmt.Errorf("control socket: %w", err)
	}
	return l, nil
}

func removeStale(path string) error {
	fi, err := os.Lstat(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("control socket: %w", err)
	}
	if fi.Mode().Type() != os.ModeSocket {
		return fmt.Errorf("control socket: %s exists and is not a socket; remove it or set global.control_socket", path)
	}
	c, err := net.DialTimeout("unix", path, time.Second)
	if err == nil {
		c.Close()
		return fmt.Errorf("%w: %s", ErrInUse, path)
	}
	if !errors.Is(err, syscall.ECONNREFUSED) {
		return fmt.Errorf("control socket: probing %s: %w", path, err)
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("control socket: removing stale %s: %w", path, err)
	}
	return nil
}

// DefaultLimits bound the control socket's clients. The socket is root only, so these guard
// against a stuck or careless client (a script that opens connections and never reads),
// not an attacker; every request halvs sends is a few hundred bytes. Beyond MaxConns a
// connection waits its turn, so a burst of `halvs status` calls is answered, only later.
var DefaultLimits = httplimit.Limits{
	ReadHeaderTimeout: 5 * time.Second,
	ReadTimeout:       10 * time.Second,
	// Reload and failover lift it while they work (a reload of a large table takes
	// seconds); it then bounds writing their reply.
	WriteTimeout: 30 * time.Second,
	// The CLI opens one connection a request and never reuses it.
	IdleTimeout: 30 * time.Second,
	MaxConns:    64,
}

// Server serves the API on a unix listener.
type Server struct {
	// Limits bound each client; NewServer sets DefaultLimits. Change them before Serve.
	Limits httplimit.Limits

	h   Handlers
	log *slog.Logger
	srv *http.Server
	// allow decides whether a peer uid may use the API; the default admits root and the uid
	// halvs runs as. The socket's mode already keeps others out; this is the second lock.
	allow func(uid uint32) bool
}

// NewServer returns a server for h; log nil means slog.Default().
func NewServer(h Handlers, log *slog.Logger) *Server {
	if log == nil {
		log = slog.Default()
	}
	s := &Server{h: h, log: log, Limits: DefaultLimits}
	self := uint32(os.Geteuid())
	s.allow = func(uid uint32) bool { return uid == 0 || uid == self }
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+PathStatus, s.status)
	mux.HandleFunc("POST "+PathFailover, s.failover)
	mux.HandleFunc("POST "+PathReload, s.reload)
	mux.HandleFunc("POST "+PathDrain, s.drain) // bgp.go
	s.srv = &http.Server{Handler: mux, ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
	return s
}

// Serve answers requests on l until Shutdown, within s.Limits; it returns
// http.ErrServerClosed after a Shutdown.
func (s *Server) Serve(l *net.UnixListener) error {
	s.Limits.Apply(s.srv)
	// The cap counts only connections from allowed peers: a refused one is closed inside
	// peerListener's Accept and never holds a slot.
	return s.srv.Serve(s.Limits.Listener(&peerListener{UnixListener: l, s: s}))
}

// Shutdown stops accepting, waits for requests in flight (until ctx ends) and closes the
// listener, which removes the socket file.
func (s *Server) Shutdown(ctx context.Context) error { return s.srv.Shutdown(ctx) }

// peerListener drops connections whose peer uid is not allowed (SO_PEERCRED).
type peerListener struct {
	*net.UnixListener
	s *Server
}

func (p *peerListener) Accept() (net.Conn, error) {
	for {
		c, err := p.UnixListener.AcceptUnix()
		if err != nil {
			return nil, err
		}
		uid, err := peerUID(c)
		if err == nil && p.s.allow(uid) {
			return c, nil
		}
		p.s.log.Warn("control socket: refused a connection", "uid", uid, "err", err)
		c.Close()
	}
}

func peerUID(c *net.UnixConn) (uint32, error) {
	raw, err := c.SyscallConn()
	if err != nil {
		return 0, err
	}
	var cred *unix.Ucred
	var cerr error
	if err := raw.Control(func(fd uintptr) {
		cred, cerr = unix.GetsockoptUcred(int(fd), unix.SOL_SOCKET, unix.SO_PEERCRED)
	}); err != nil {
		return 0, err
	}
	if cerr != nil {
		return 0, cerr
	}
	return cred.Uid, nil
}

func (s *Server) status(w http.ResponseWriter, r *http.Request) {
	if s.h.Status == nil {
		s.fail(w, ErrNotImplemented)
		return
	}
	st, err := s.h.Status(r.Context())
	if err != nil {
		s.fail(w, err)
		return
	}
	reply(w, http.StatusOK, st)
}

func (s *Server) failover(w http.ResponseWriter, r *http.Request) {
	if s.h.Failover == nil {
		s.fail(w, ErrNotImplemented)
		return
	}
	var req FailoverRequest
	dec := json.NewDecoder(io.LimitReader(r.Body, 1<<16))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil && !errors.Is(err, io.EOF) {
		reply(w, http.StatusBadRequest, errorBody{Error: "failover request: " + err.Error(), Code: "bad_request"})
		return
	}
	if req.Hold < 0 {
		reply(w, http.StatusBadRequest, errorBody{Error: "failover request: hold must not be negative", Code: "bad_request"})
		return
	}
	rearm := s.Limits.LiftWriteTimeout(w)
	res, err := s.h.Failover(r.Context(), req)
	rearm()
	if err != nil {
		s.fail(w, err)
		return
	}
	s.log.Info("control: failover", "instance", req.Instance, "hold", req.Hold, "left_master", res.Instances)
	reply(w, http.StatusOK, res)
}

func (s *Server) reload(w http.ResponseWriter, r *http.Request) {
	if s.h.Reload == nil {
		s.fail(w, ErrNotImplemented)
		return
	}
	var req ReloadRequest
	dec := json.NewDecoder(io.LimitReader(r.Body, 1<<16))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil && !errors.Is(err, io.EOF) {
		reply(w, http.StatusBadRequest, errorBody{Error: "reload request: " + err.Error(), Code: "bad_request"})
		return
	}
	if req.ConfigFile != "" && (!filepath.IsAbs(req.ConfigFile) || filepath.Clean(req.ConfigFile) != req.ConfigFile) {
		reply(w, http.StatusBadRequest, errorBody{Error: fmt.Sprintf("reload request: config_file %q must be an absolute, clean path", req.ConfigFile), Code: "bad_request"})
		return
	}
	// A reload runs to the end once started (the director cannot half-apply a config), so
	// it is not bound by WriteTimeout; its reply is.
	rearm := s.Limits.LiftWriteTimeout(w)
	res, err := s.h.Reload(r.Context(), req)
	rearm()
	if err != nil {
		s.fail(w, err)
		return
	}
	s.log.Info("control: reload", "config", res.ConfigFile, "changes", len(res.Changes))
	reply(w, http.StatusOK, res)
}

// fail answers with the status and code of err's sentinel, or 500; a DiagnosticsError's
// findings go in the details.
func (s *Server) fail(w http.ResponseWriter, err error) {
	body := errorBody{Error: err.Error()}
	var de *DiagnosticsError
	if errors.As(err, &de) {
		body.Error, body.Details = de.Err.Error(), de.Diagnostics
	}
	for _, c := range codes {
		if errors.Is(err, c.err) {
			body.Code = c.code
			reply(w, c.status, body)
			return
		}
	}
	s.log.Error("control: request failed", "err", err)
	reply(w, http.StatusInternalServerError, errorBody{Error: err.Error(), Code: "internal"})
}

func reply(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v) // the client went away; nothing to do
}
