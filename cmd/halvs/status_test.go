package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"io"
	"log/slog"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/halvs/halvs/control"
)

// The golden files under testdata/status are rewritten with: go test ./cmd/halvs -run Status -update
var _ = func() bool {
	if flag.Lookup("update") == nil {
		flag.Bool("update", false, "rewrite golden files")
	}
	return true
}()

func updating() bool {
	f := flag.Lookup("update")
	return f != nil && f.Value.String() == "true"
}

// golden compares got with testdata/status/NAME.golden (or rewrites it with -update).
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", "status", name+".golden")
	if updating() {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("%s (-want +got):\n%s", path, diff)
	}
}

var snapTime = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

// pairMaster is director A of the reference scenario, MASTER, one real server down.
func pairMaster() *control.Status {
	at := snapTime
	drain := 3
	return &control.Status{
		SchemaVersion: control.StatusVersion, Time: at, RouterID: "director-a",
		ConfigFile: "/etc/halvs/halvs.hcl", ConfigLoaded: at.Add(-26 * time.Hour), Started: at.Add(-26 * time.Hour),
		Instances: []control.Instance{{
			Name: "VI_1", Interface: "eth0", VRID: 51, Version: 2, State: "MASTER", Priority: 150, EffectivePriority: 150,
			MasterAddr: netip.MustParseAddr("10.10.10.30"), Since: at.Add(-2*time.Hour - 4*time.Minute - 10*time.Second),
			LastTransition: &control.Transition{From: "BACKUP", To: "MASTER", Reason: "master down timer expired (no advert from 10.10.10.33 for 3.609s)",
				At: at.Add(-2*time.Hour - 4*time.Minute - 10*time.Second)},
			VIPs: []netip.Prefix{netip.MustParsePrefix("10.10.10.22/32")},
			Trackers: []control.Tracker{{Kind: "interface", Name: "eth1", Weight: 10, State: "up"},
				{Kind: "script", Name: "chk_haproxy", Weight: -20, Reverse: true, State: "down"},
				{Kind: "file", Name: "drain", Weight: -2, State: "value", Value: &drain}},
		}},
		LastReload: &control.Reload{At: at.Add(-time.Hour), Result: "success"},
		Events: []control.Event{
			{At: at.Add(-5*time.Minute - 3*time.Second), Kind: "check", Subject: "10.10.10.22:80/TCP → 10.10.10.32:80", State: "down",
				Message: "real server 10.10.10.32:80 down: tcp_check 10.10.10.32:80: connect: connection refused"},
			{At: at.Add(-time.Hour), Kind: "reload", Subject: "/etc/halvs/halvs.hcl", State: "success", Message: "configuration reloaded"},
			{At: at.Add(-2*time.Hour - 4*time.Minute - 10*time.Second), Kind: "vrrp", Subject: "VI_1", State: "MASTER", Message: "BACKUP → MASTER: master down timer expired"},
		},
		VirtualServers: []control.VirtualServer{{
			Name: "10.10.10.22:80", Protocol: "TCP", Scheduler: "wrr", Method: "DR", Quorum: 1, QuorumUp: true, AliveWeight: 3,
			Stats: &control.IPVSStats{Connections: 18234, BytesIn: 3 << 20, BytesOut: 1500, CPS: 12, InPPS: 240, OutPPS: 0, InBPS: 96 << 10},
			RealServers: []control.RealServer{
				{Addr: netip.MustParseAddrPort("10.10.10.31:80"), Weight: 3, EffectiveWeight: 3, InTable: true, Health: control.HealthUp,
					HealthSince: at.Add(-26 * time.Hour),
					LastCheck:   &control.CheckResult{Checker: "tcp_check 10.10.10.31:80", At: at.Add(-4 * time.Second), OK: true, Latency: control.Duration(412 * time.Microsecond)},
					ActiveConns: 12, InactiveConns: 40, Stats: &control.IPVSStats{Connections: 18234, CPS: 12, InPPS: 240, InBPS: 96 << 10}},
				{Addr: netip.MustParseAddrPort("10.10.10.32:80"), Weight: 3, EffectiveWeight: 0, InTable: false, Health: control.HealthDown,
					HealthSince: at.Add(-5*time.Minute - 3*time.Second),
					LastCheck: &control.CheckResult{Checker: "tcp_check 10.10.10.32:80", At: at.Add(-1 * time.Second), OK: false,
						Latency: control.Duration(1200 * time.Microsecond), Error: "connect: connection refused"}},
			},
		}},
		SyncDaemon: &control.SyncDaemon{Role: "master", Interface: "eth0", SyncID: 51, Instance: "VI_1"},
	}
}

// troubled has a held backup, a faulted instance, a lost quorum and checks not yet run.
func troubled() *control.Status {
	at := snapTime
	return &control.Status{
		SchemaVersion: control.StatusVersion, Time: at, RouterID: "director-b",
		Instances: []control.Instance{
			{Name: "VI_1", Interface: "eth0", VRID: 51, Version: 3, State: "BACKUP", Priority: 100, EffectivePriority: 80,
				MasterAddr: netip.MustParseAddr("10.10.10.30"), MasterSince: at.Add(-29 * time.Second), Since: at.Add(-30 * time.Second), HoldUntil: at.Add(30 * time.Second),
				LastTransition: &control.Transition{From: "MASTER", To: "BACKUP", Reason: "failover requested on the control socket", At: at.Add(-30 * time.Second)},
				VIPs:           []netip.Prefix{netip.MustParsePrefix("10.10.10.22/32"), netip.MustParsePrefix("2001:db8::22/128")}},
			{Name: "VI_2", Interface: "eth1", VMAC: "vrrp.52", VRID: 52, Version: 2, State: "FAULT", Priority: 100, EffectivePriority: 100,
				Since: at.Add(-90 * time.Second), Faults: []string{"eth1 down", "chk_haproxy"},
				LastTransition: &control.Transition{From: "BACKUP", To: "FAULT", Reason: "interface eth1 down", At: at.Add(-90 * time.Second)},
				VirtualRoutes:  []string{"192.0.2.0/24 via 10.10.20.1 dev eth1"}, VirtualRules: []string{"from 192.0.2.0/24 table 100"}},
		},
		LastReload: &control.Reload{At: at.Add(-10 * time.Second), Result: "failure", Errors: []string{
			"/etc/halvs/halvs.hcl:8:16: error: advert_int 10ms: VRRPv2 carries whole seconds from 1 to 255",
			"/etc/halvs/halvs.hcl:9:11: error: state must be \"MASTER\" or \"BACKUP\", not \"MASTR\""}},
		Static: &control.Static{Addresses: []string{"192.168.200.1/24 dev eth2"}, Routes: []string{"198.51.100.0/24 via 192.168.200.254"}},
		VirtualServers: []control.VirtualServer{{
			Name: "fwmark:1", Protocol: "TCP", Scheduler: "wlc", Method: "NAT", Quorum: 4, QuorumUp: false, AliveWeight: 0, SorryActive: true,
			RealServers: []control.RealServer{
				{Addr: netip.MustParseAddrPort("192.168.1.10:443"), Weight: 2, Health: control.HealthUnknown},
			},
		}},
	}
}

func TestStatusRender(t *testing.T) {
	for name, st := range map[string]*control.Status{
		"master":   pairMaster(),
		"troubled": troubled(),
		"empty":    {SchemaVersion: control.StatusVersion, Time: snapTime},
	} {
		t.Run(name, func(t *testing.T) {
			var b strings.Builder
			renderStatus(&b, st, time.UTC)
			golden(t, name, b.String())
		})
	}
}

func TestAge(t *testing.T) {
	tests := []struct {
		d    time.Duration
		want string
	}{
		{0, "0s ago"}, {1400 * time.Millisecond, "1s ago"}, {5*time.Minute + 3*time.Second, "5m3s ago"},
		{2*time.Hour + 4*time.Minute + 10*time.Second, "2h4m ago"}, {26 * time.Hour, "26h ago"}, {72 * time.Hour, "3d ago"}, {-time.Second, "in the future"},
	}
	for _, tt := range tests {
		if got := age(snapTime, snapTime.Add(-tt.d)); got != tt.want {
			t.Errorf("age(%v) = %q, want %q", tt.d, got, tt.want)
		}
	}
}

// serveStatus runs a control server answering with st and returns its socket path.
func serveStatus(t *testing.T, st *control.Status) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "halvs.sock")
	l, err := control.Listen(path)
	if err != nil {
		t.Fatal(err)
	}
	s := control.NewServer(control.Handlers{Status: func(context.Context) (*control.Status, error) { return st, nil }},
		slog.New(slog.NewTextHandler(io.Discard, nil)))
	go s.Serve(l)
	t.Cleanup(func() { s.Shutdown(context.Background()) })
	return path
}

func TestStatusCommand(t *testing.T) {
	sock := serveStatus(t, pairMaster())

	var out, errb bytes.Buffer
	if code := runStatus([]string{"--socket", sock, "--json"}, &out, &errb); code != exitOK {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	var got control.Status
	if err := json.Unmarshal(out.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(pairMaster(), &got, cmpopts.EquateComparable(netip.Addr{}, netip.Prefix{}, netip.AddrPort{})); diff != "" {
		t.Errorf("--json (-want +got):\n%s", diff)
	}

	// The config's control_socket is where status looks.
	cfg := filepath.Join(t.TempDir(), "halvs.hcl")
	if err := os.WriteFile(cfg, []byte("global {\n  control_socket = \""+sock+"\"\n}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	if code := runStatus([]string{"-c", cfg}, &out, &errb); code != exitOK || !strings.Contains(out.String(), "VI_1      MASTER") {
		t.Errorf("-c: exit %d, output:\n%s%s", code, out.String(), errb.String())
	}
}

func TestStatusCommandErrors(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		code     int
		inStderr string
	}{
		{"no halvs", []string{"--socket", filepath.Join(t.TempDir(), "none.sock")}, exitFailure, "no halvs is running"},
		{"both sources", []string{"-c", "x.hcl", "--socket", "y"}, exitUsage, "not both"},
		{"stray argument", []string{"VI_1"}, exitUsage, "unexpected argument"},
		{"bad interval", []string{"--watch", "--interval", "0s"}, exitUsage, "must be positive"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			if code := runStatus(tt.args, &out, &errb); code != tt.code || !strings.Contains(errb.String(), tt.inStderr) {
				t.Errorf("exit %d (want %d), stderr:\n%s", code, tt.code, errb.String())
			}
		})
	}
}

// TestWatch redraws until the context ends; a failed fetch is shown and retried.
func TestWatch(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	calls := 0
	show := func(_ context.Context, w io.Writer) error {
		calls++
		switch calls {
		case 2:
			return io.ErrUnexpectedEOF
		case 3:
			cancel()
		}
		io.WriteString(w, "screen\n")
		return nil
	}
	for _, terminal := range []bool{true, false} {
		calls = 0
		ctx, cancel = context.WithCancel(context.Background())
		defer cancel()
		isTerminal = func(io.Writer) bool { return terminal }
		t.Cleanup(func() { isTerminal = isTerminalDefault })
		var out bytes.Buffer
		if err := watchStatus(ctx, &out, time.Millisecond, false, show); err != nil {
			t.Fatal(err)
		}
		// On a terminal each screen replaces the last; elsewhere (a file, a pipe) screens are
		// appended, with no control codes.
		lead, sep := clearScreen, clearScreen
		if !terminal {
			lead, sep = "", "\n"
		}
		want := lead + "screen\n" + sep + "halvs status: unexpected EOF\n(retrying every 1ms; Ctrl-C to stop)\n" + sep + "screen\n"
		if diff := cmp.Diff(want, out.String()); diff != "" {
			t.Errorf("terminal %v (-want +got):\n%s", terminal, diff)
		}
	}
}

// TestStatusJSONGolden pins the --json document's field names and shapes (the schema that
// docs/operations.md documents): a change here is a change scripts see.
func TestStatusJSONGolden(t *testing.T) {
	for name, st := range map[string]*control.Status{"master": pairMaster(), "troubled": troubled()} {
		t.Run(name, func(t *testing.T) {
			sock := serveStatus(t, st)
			var out, errb bytes.Buffer
			if code := runStatus([]string{"--socket", sock, "--json"}, &out, &errb); code != exitOK {
				t.Fatalf("exit %d: %s", code, errb.String())
			}
			golden(t, name+".json", out.String())
		})
	}
}
