package vrrp

import (
	"log/slog"
	"net/netip"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp/cmpopts"
)

// cmpNet lets cmp.Diff compare netip values, whose fields are unexported.
var cmpNet = cmpopts.EquateComparable(netip.Addr{}, netip.Prefix{})

// testLogger sends the package's logs to the test log, shown only on failure or -v.
func testLogger(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}
