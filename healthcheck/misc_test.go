package healthcheck

import (
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestMiscCheck(t *testing.T) {
	dir := t.TempDir()
	prog := filepath.Join(dir, "check.sh")
	// The script exits with its first argument; "hang" sleeps past the timeout.
	if err := os.WriteFile(prog, []byte("#!/bin/sh\n[ \"$1\" = hang ] && exec sleep 30\necho \"status $1\"\nexit \"$1\"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	intp := func(n int) *int { return &n }
	tests := []struct {
		name    string
		spec    MiscSpec
		want    bool
		wantDyn *int
		errHas  string
	}{
		{name: "exit 0 up", spec: MiscSpec{Argv: []string{prog, "0"}}, want: true},
		{name: "exit 1 down", spec: MiscSpec{Argv: []string{prog, "1"}}, errHas: "status 1"},
		{name: "exit 2 down without misc_dynamic", spec: MiscSpec{Argv: []string{prog, "2"}}},
		{name: "dynamic: exit 0 keeps the weight", spec: MiscSpec{Argv: []string{prog, "0"}, Dynamic: true}, want: true},
		{name: "dynamic: exit 1 down", spec: MiscSpec{Argv: []string{prog, "1"}, Dynamic: true}},
		{name: "dynamic: exit 2 weight 0", spec: MiscSpec{Argv: []string{prog, "2"}, Dynamic: true}, want: true, wantDyn: intp(0)},
		{name: "dynamic: exit 12 weight 10", spec: MiscSpec{Argv: []string{prog, "12"}, Dynamic: true}, want: true, wantDyn: intp(10)},
		{name: "dynamic: exit 255 weight 253", spec: MiscSpec{Argv: []string{prog, "255"}, Dynamic: true}, want: true, wantDyn: intp(253)},
		{name: "timeout down", spec: MiscSpec{Argv: []string{prog, "hang"}, Timeout: 100 * time.Millisecond}, errHas: "timed out"},
		// A script that traps SIGTERM and exits 0 (or 12) after the timeout still failed.
		{name: "timeout down although the script exits 0 on SIGTERM", spec: MiscSpec{Argv: []string{"/bin/sh", "-c", "trap 'exit 0' TERM; sleep 5 & wait"}, Timeout: 100 * time.Millisecond}, errHas: "timed out"},
		{name: "dynamic: timeout down although the script exits 12 on SIGTERM", spec: MiscSpec{Argv: []string{"/bin/sh", "-c", "trap 'exit 12' TERM; sleep 5 & wait"}, Timeout: 100 * time.Millisecond, Dynamic: true}, errHas: "timed out"},
		{name: "missing program", spec: MiscSpec{Argv: []string{filepath.Join(dir, "nope")}}, errHas: "no such file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := check(t, tt.spec, netip.MustParseAddrPort("10.0.0.1:80"))
			if r.OK != tt.want {
				t.Fatalf("OK = %v (err %v), want %v", r.OK, r.Err, tt.want)
			}
			if diff := cmp.Diff(tt.wantDyn, r.DynamicWeight); diff != "" {
				t.Errorf("DynamicWeight (-want +got):\n%s", diff)
			}
			if tt.errHas != "" && (r.Err == nil || !strings.Contains(r.Err.Error(), tt.errHas)) {
				t.Errorf("err = %v, want it to mention %q", r.Err, tt.errHas)
			}
		})
	}
	if _, err := NewChecker(MiscSpec{}, netip.AddrPort{}, DefaultTiming(KindMisc)); err == nil {
		t.Error("a misc_check without misc_path was accepted")
	}
}
