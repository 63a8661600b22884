package vrrp

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/halvs/halvs/internal/clock/clocktest"
)

// recordHandler keeps each record as "LEVEL msg" plus its count and like attributes.
type recordHandler struct {
	level slog.Level
	mu    *sync.Mutex
	lines *[]string
}

func (h recordHandler) Enabled(_ context.Context, l slog.Level) bool { return l >= h.level }
func (h recordHandler) WithAttrs([]slog.Attr) slog.Handler           { return h }
func (h recordHandler) WithGroup(string) slog.Handler                { return h }
func (h recordHandler) Handle(_ context.Context, r slog.Record) error {
	s := r.Level.String() + " " + r.Message
	r.Attrs(func(a slog.Attr) bool {
		if a.Key == "count" || a.Key == "like" || a.Key == "n" {
			s += fmt.Sprintf(" %s=%v", a.Key, a.Value)
		}
		return true
	})
	h.mu.Lock()
	*h.lines = append(*h.lines, s)
	h.mu.Unlock()
	return nil
}

// TestLogLimiter: each kind of line passes burst times per window; the rest are counted,
// summed up in one line when the window ends, and the next line starts a new window.
func TestLogLimiter(t *testing.T) {
	const window, burst = 10 * time.Second, 2
	type line struct {
		at    time.Duration
		level slog.Level
		kind  string
		msg   string
	}
	dbg := func(at time.Duration, kind, msg string) line { return line{at, slog.LevelDebug, kind, msg} }
	tests := []struct {
		name           string
		debugOff       bool // the logger writes Info and above only
		lines          []line
		end            time.Duration // the clock runs to here after the lines
		want           []string
		wantSuppressed int
	}{
		{
			name:  "within the burst: all written",
			lines: []line{dbg(0, "a", "advert dropped"), dbg(time.Second, "a", "advert dropped")},
			end:   time.Minute,
			want:  []string{"DEBUG advert dropped n=0", "DEBUG advert dropped n=1"},
		},
		{
			name: "beyond it: counted, then one summary at the window's end",
			lines: []line{dbg(0, "a", "advert dropped"), dbg(1, "a", "advert dropped"), dbg(2, "a", "advert dropped"),
				dbg(3, "a", "advert dropped"), dbg(window-1, "a", "advert dropped")},
			end: window + time.Second,
			want: []string{"DEBUG advert dropped n=0", "DEBUG advert dropped n=1",
				"DEBUG suppressed similar lines count=3 like=advert dropped"},
			wantSuppressed: 3,
		},
		{
			name: "a new window after the summary",
			lines: []line{dbg(0, "a", "x"), dbg(1, "a", "x"), dbg(2, "a", "x"),
				dbg(window+time.Second, "a", "x")},
			end:            2 * window,
			want:           []string{"DEBUG x n=0", "DEBUG x n=1", "DEBUG suppressed similar lines count=1 like=x", "DEBUG x n=3"},
			wantSuppressed: 1,
		},
		{
			name: "a quiet window ends without a summary",
			lines: []line{dbg(0, "a", "x"), dbg(1, "a", "x"),
				dbg(window, "a", "x"), dbg(window+1, "a", "x")},
			end:  3 * window,
			want: []string{"DEBUG x n=0", "DEBUG x n=1", "DEBUG x n=2", "DEBUG x n=3"},
		},
		{
			name: "kinds are limited apart",
			lines: []line{dbg(0, "ttl", "advert dropped"), dbg(1, "ttl", "advert dropped"), dbg(2, "ttl", "advert dropped"),
				dbg(3, "checksum", "advert dropped")},
			end: 2 * window,
			want: []string{"DEBUG advert dropped n=0", "DEBUG advert dropped n=1", "DEBUG advert dropped n=3",
				"DEBUG suppressed similar lines count=1 like=advert dropped"},
			wantSuppressed: 1,
		},
		{
			name: "the kind defaults to the message; the summary keeps the level",
			lines: []line{{0, slog.LevelInfo, "", "re-announcing"}, {1, slog.LevelInfo, "", "re-announcing"},
				{2, slog.LevelInfo, "", "re-announcing"}},
			end: window,
			want: []string{"INFO re-announcing n=0", "INFO re-announcing n=1",
				"INFO suppressed similar lines count=1 like=re-announcing"},
			wantSuppressed: 1,
		},
		{
			name:     "a level the logger drops is neither written nor counted",
			debugOff: true,
			lines:    []line{dbg(0, "a", "x"), dbg(1, "a", "x"), dbg(2, "a", "x"), dbg(3, "a", "x")},
			end:      2 * window,
			want:     nil,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var mu sync.Mutex
			var got []string
			clock := clocktest.New(t0)
			level := slog.LevelDebug
			if tt.debugOff {
				level = slog.LevelInfo
			}
			log := slog.New(recordHandler{level: level, mu: &mu, lines: &got})
			suppressed := 0
			l := newLogLimiter(log, clock, window, burst, func(n int) { suppressed += n })
			for n, ln := range tt.lines {
				clock.AdvanceSettled(t0.Add(ln.at).Sub(clock.Now()), func() {})
				l.Log(ln.level, ln.kind, ln.msg, "n", n)
			}
			clock.AdvanceSettled(t0.Add(tt.end).Sub(clock.Now()), func() {})
			mu.Lock()
			defer mu.Unlock()
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("lines (-want +got):\n%s", diff)
			}
			if suppressed != tt.wantSuppressed {
				t.Errorf("suppressed %d, want %d", suppressed, tt.wantSuppressed)
			}
		})
	}
}
