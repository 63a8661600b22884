package main

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/halvs/halvs/config"
	"github.com/halvs/halvs/control"
)

var netipCmp = cmpopts.EquateComparable(netip.Addr{}, netip.Prefix{}, netip.AddrPort{})

// TestReloadSerialised: a control-socket reload is refused while a reload or failover runs
// and within a second of the previous reload; SIGHUP's reload waits instead.
func TestReloadSerialised(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	dm := &daemon{log: slog.New(slog.NewTextHandler(io.Discard, nil)), now: func() time.Time { return now }}
	dm.ops.Lock()
	if _, err := dm.controlReload(context.Background(), control.ReloadRequest{}); !errors.Is(err, control.ErrBusy) {
		t.Errorf("reload during another operation: %v, want ErrBusy", err)
	}
	if _, err := dm.failover(context.Background(), control.FailoverRequest{}); !errors.Is(err, control.ErrBusy) {
		t.Errorf("failover during another operation: %v, want ErrBusy", err)
	}
	dm.ops.Unlock()
	dm.lastReload = now.Add(-300 * time.Millisecond)
	_, err := dm.controlReload(context.Background(), control.ReloadRequest{})
	if !errors.Is(err, control.ErrBusy) || !cmp.Equal(err.Error(), "busy: another reload or failover is in progress: at most one reload a second; try again in 700ms") {
		t.Errorf("reload 300ms after the last: %v", err)
	}
}

func TestReloadErrors(t *testing.T) {
	_, diags := config.Parse([]byte("vrrp_instance \"VI_1\" {\n  state = \"MASTR\"\n}\n"), "halvs.hcl")
	if !diags.HasErrors() {
		t.Fatal("the config has no error")
	}
	tests := []struct {
		name  string
		diags config.Diagnostics
		err   error
		want  int // errors listed
		first string
	}{
		{"success", nil, nil, 0, ""},
		{"config invalid", diags, errors.New("reload failed"), len(diags.Errors()), "halvs.hcl:"},
		{"refused by the director", nil, errors.New("reload failed: VIP 10.0.0.1 is this host's own address"), 1, "reload failed: VIP"},
	}
	for _, tt := range tests {
		got := reloadErrors(tt.diags, tt.err)
		if len(got) != tt.want || (tt.want > 0 && !strings.HasPrefix(got[0], tt.first)) {
			t.Errorf("%s: %q, want %d errors, the first starting %q", tt.name, got, tt.want, tt.first)
		}
	}
}
