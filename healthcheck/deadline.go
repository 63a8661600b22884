package healthcheck

import (
	"context"
	"time"
)

// bindDeadline bounds every read and write on conn by connect_timeout counted from start, or by
// ctx's deadline when that comes first, and makes ctx's cancellation unblock them at once (a
// deadline in the past). The checkers that drive a connection themselves use it; call the
// returned stop when the connection is done with.
func bindDeadline(ctx context.Context, conn interface{ SetDeadline(time.Time) error }, start time.Time, timeout time.Duration) (stop func() bool) {
	deadline := start.Add(timeout)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	_ = conn.SetDeadline(deadline)
	return context.AfterFunc(ctx, func() { _ = conn.SetDeadline(time.Unix(1, 0)) })
}
