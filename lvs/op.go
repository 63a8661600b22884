package lvs

import (
	"errors"
	"fmt"
	"strings"
)

// OpKind is what one operation does to the kernel's IPVS state.
type OpKind uint8

// Operation kinds; each is one netlink request.
const (
	AddService OpKind = iota + 1
	UpdateService
	DeleteService
	AddDestination
	UpdateDestination
	DeleteDestination
	SetTimeouts
	StartSyncDaemon
	StopSyncDaemon
)

var opKindNames = [...]string{
	AddService:        "add-service",
	UpdateService:     "update-service",
	DeleteService:     "delete-service",
	AddDestination:    "add-destination",
	UpdateDestination: "update-destination",
	DeleteDestination: "delete-destination",
	SetTimeouts:       "set-timeouts",
	StartSyncDaemon:   "start-daemon",
	StopSyncDaemon:    "stop-daemon",
}

func (k OpKind) String() string {
	if int(k) < len(opKindNames) && opKindNames[k] != "" {
		return opKindNames[k]
	}
	return fmt.Sprintf("op-%d", uint8(k))
}

// Op is one change to the kernel's IPVS state. Only the fields its Kind needs are set:
// Service (its Key alone for deletes and destination operations), Dest, Timeouts or Daemon.
type Op struct {
	Kind     OpKind
	Service  Service
	Dest     Destination
	Timeouts Timeouts
	Daemon   SyncDaemon
}

// String is the operation as an ipvsadm command line (without "ipvsadm"), so that a list
// of ops reads like ipvsadm --save output: "-a -t 10.10.10.22:80 -r 10.10.10.31:80 -g -w 3".
func (o Op) String() string {
	b, _ := o.AppendText(nil)
	return string(b)
}

// AppendText appends String's text to b (encoding.TextAppender): printing the thousands of
// operations of a table from empty costs no allocation per operation.
func (o Op) AppendText(b []byte) ([]byte, error) {
	switch o.Kind {
	case AddService:
		return o.Service.appendSpec(append(b, "-A "...)), nil
	case UpdateService:
		return o.Service.appendSpec(append(b, "-E "...)), nil
	case DeleteService:
		return o.Service.Key.appendTo(append(b, "-D "...)), nil
	case AddDestination:
		return o.Dest.appendSpec(append(o.Service.Key.appendTo(append(b, "-a "...)), ' ')), nil
	case UpdateDestination:
		return o.Dest.appendSpec(append(o.Service.Key.appendTo(append(b, "-e "...)), ' ')), nil
	case DeleteDestination:
		b = o.Service.Key.appendTo(append(b, "-d "...))
		return o.Dest.Addr.AppendTo(append(b, " -r "...)), nil
	case SetTimeouts:
		return append(append(b, "--set "...), o.Timeouts.spec()...), nil
	case StartSyncDaemon:
		return fmt.Appendf(b, "--start-daemon %s --mcast-interface %s --syncid %d", o.Daemon.Role, o.Daemon.Interface, o.Daemon.SyncID), nil
	case StopSyncDaemon:
		return append(append(b, "--stop-daemon "...), o.Daemon.Role.String()...), nil
	}
	return append(b, o.Kind.String()...), nil
}

// OpError is an operation the kernel refused, after retries. It unwraps to the kernel's
// error (a syscall.Errno from the real backend), so callers test it with errors.Is.
type OpError struct {
	Op       Op
	Attempts int
	Err      error
}

func (e *OpError) Error() string {
	return fmt.Sprintf("lvs: %s (%s): %v", e.Op.Kind, e.Op, e.Err)
}

func (e *OpError) Unwrap() error { return e.Err }

// Report is what one reconcile or one change did.
type Report struct {
	Applied []Op       // operations the kernel accepted, in the order applied
	Failed  []*OpError // operations that still failed after their retries
}

// String lists the applied operations one per line in ipvsadm notation, then the failures.
func (r Report) String() string {
	var b strings.Builder
	for _, o := range r.Applied {
		b.WriteString(o.String())
		b.WriteByte('\n')
	}
	for _, e := range r.Failed {
		fmt.Fprintf(&b, "# FAILED %s: %v\n", e.Op, e.Err)
	}
	return b.String()
}

// err is the report's failures as one error, nil when none.
func (r Report) err() error {
	if len(r.Failed) == 0 {
		return nil
	}
	if len(r.Failed) == 1 {
		return r.Failed[0]
	}
	errs := make([]error, len(r.Failed))
	for i, e := range r.Failed {
		errs[i] = e
	}
	return fmt.Errorf("%d ipvs operations failed: %w", len(errs), errors.Join(errs...))
}
