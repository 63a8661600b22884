package control

import (
	"context"
	"errors"
	"strings"
	"time"
)

// API paths. Every request and response body is JSON; an error is {"error": "...", "code": "..."}
// with a matching HTTP status.
const (
	PathStatus   = "/v1/status"   // GET: Status
	PathFailover = "/v1/failover" // POST FailoverRequest: FailoverResult
	PathReload   = "/v1/reload"   // POST ReloadRequest (or an empty body): ReloadResult
)

// FailoverRequest asks a MASTER to hand over gracefully: send an advert with priority 0 (so
// the peer takes over at once, without waiting out the master down interval) and stay BACKUP
// for Hold.
type FailoverRequest struct {
	// Instance names the vrrp_instance; "" means every instance that is MASTER here.
	Instance string `json:"instance,omitempty"`
	// Hold is how long to stay BACKUP afterwards; zero lets the director choose its default.
	Hold Duration `json:"hold,omitempty"`
}

// FailoverResult says what the director did.
type FailoverResult struct {
	Instances []string  `json:"instances"`     // the instances that left MASTER
	Sent      time.Time `json:"sent,omitzero"` // when the priority-0 advert went out (the director's clock)
	HoldUntil time.Time `json:"hold_until"`
}

// ReloadRequest asks the director to reread its config file. A director reloads only the
// file it was started with: naming another is refused (ErrOtherConfig) rather than switching
// files, since the next restart would read the first one again.
type ReloadRequest struct {
	// ConfigFile, when set, is the absolute path of the file the caller means to reload.
	ConfigFile string `json:"config_file,omitempty"`
}

// ReloadResult says how a reload went. A reload that fails leaves the old config running and
// comes back as an error (code reload_failed) carrying the diagnostics.
type ReloadResult struct {
	ConfigFile string   `json:"config_file,omitempty"`
	Changes    []string `json:"changes,omitempty"`  // human-readable, one per change applied
	Warnings   []string `json:"warnings,omitempty"` // config diagnostics that were not errors
}

// Handlers are what the director gives the server. A nil handler answers 501 Not Implemented.
// Handlers run concurrently with each other and must honour ctx (the client's connection).
type Handlers struct {
	Status   func(ctx context.Context) (*Status, error)
	Failover func(ctx context.Context, req FailoverRequest) (*FailoverResult, error)
	Reload   func(ctx context.Context, req ReloadRequest) (*ReloadResult, error)
	Drain    func(ctx context.Context, req DrainRequest) (*DrainResult, error) // bgp.go
}

// Errors a handler returns so that the client can tell them apart (errors.Is works on the
// client's side too: the code travels in the response).
var (
	ErrUnknownInstance = errors.New("no such vrrp_instance")
	ErrNotMaster       = errors.New("not MASTER")
	ErrReloadFailed    = errors.New("reload failed")
	ErrBusy            = errors.New("busy: another reload or failover is in progress")
	ErrNotImplemented  = errors.New("not implemented by this halvs")
	ErrOtherConfig     = errors.New("not the configuration file this halvs runs")
)

// codes maps the sentinels to their wire codes and HTTP statuses.
var codes = []struct {
	err    error
	code   string
	status int
}{
	{ErrUnknownInstance, "unknown_instance", 404},
	{ErrNotMaster, "not_master", 409},
	{ErrReloadFailed, "reload_failed", 422},
	{ErrBusy, "busy", 429},
	{ErrNotImplemented, "not_implemented", 501},
	{ErrOtherConfig, "other_config", 409},
	{ErrNoBGP, "no_bgp", 409},
}

// DiagnosticsError is a handler's error with findings the client should print one per line
// (a refused config's "FILE:LINE:COL: error: message" lines); they travel as the error
// body's details.
type DiagnosticsError struct {
	Err         error
	Diagnostics []string
}

func (e *DiagnosticsError) Error() string {
	if len(e.Diagnostics) == 0 {
		return e.Err.Error()
	}
	return e.Err.Error() + ":\n" + strings.Join(e.Diagnostics, "\n")
}

func (e *DiagnosticsError) Unwrap() error { return e.Err }

// Error is an error response as the client sees it.
type Error struct {
	Status  int    // HTTP status
	Code    string // "unknown_instance", "bad_request", "internal", ...
	Message string
	Details []string // a DiagnosticsError's findings, one per line
}

func (e *Error) Error() string {
	if len(e.Details) == 0 {
		return e.Message
	}
	return e.Message + ":\n" + strings.Join(e.Details, "\n")
}

// Is lets errors.Is(err, ErrNotMaster) hold for an error that came over the socket.
func (e *Error) Is(target error) bool {
	for _, c := range codes {
		if c.err == target {
			return c.code == e.Code
		}
	}
	return false
}

type errorBody struct {
	Error   string   `json:"error"`
	Code    string   `json:"code"`
	Details []string `json:"details,omitempty"`
}
