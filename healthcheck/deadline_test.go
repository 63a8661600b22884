package healthcheck

import (
	"context"
	"errors"
	"net"
	"os"
	"testing"
	"time"
)

// recordingConn keeps the deadlines it is given.
type recordingConn struct{ set chan time.Time }

func (c recordingConn) SetDeadline(t time.Time) error { c.set <- t; return nil }

func TestBindDeadline(t *testing.T) {
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	ctxDeadline := start.Add(2 * time.Second)
	tests := []struct {
		name    string
		ctx     func() (context.Context, context.CancelFunc)
		timeout time.Duration
		want    time.Time
	}{
		{"connect_timeout", func() (context.Context, context.CancelFunc) { return context.WithCancel(context.Background()) }, 3 * time.Second, start.Add(3 * time.Second)},
		{"earlier context deadline", func() (context.Context, context.CancelFunc) {
			return context.WithDeadline(context.Background(), ctxDeadline)
		}, 3 * time.Second, ctxDeadline},
		{"later context deadline", func() (context.Context, context.CancelFunc) {
			return context.WithDeadline(context.Background(), ctxDeadline)
		}, time.Second, start.Add(time.Second)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := tt.ctx()
			defer cancel()
			c := recordingConn{set: make(chan time.Time, 2)}
			stop := bindDeadline(ctx, c, start, tt.timeout)
			defer stop()
			if got := <-c.set; !got.Equal(tt.want) {
				t.Errorf("deadline %v, want %v", got, tt.want)
			}
		})
	}
}

// TestBindDeadlineCancel: a read blocked on the connection returns as soon as ctx is cancelled.
func TestBindDeadlineCancel(t *testing.T) {
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	ctx, cancel := context.WithCancel(context.Background())
	stop := bindDeadline(ctx, a, time.Now(), time.Hour)
	defer stop()
	done := make(chan error, 1)
	go func() { _, err := a.Read(make([]byte, 1)); done <- err }()
	cancel()
	if err := <-done; !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Errorf("read after cancel: %v, want a passed deadline", err)
	}
}
