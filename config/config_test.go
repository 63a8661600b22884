package config_test

import (
	"fmt"
	"net/netip"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/halvs/halvs/config"
	"github.com/halvs/halvs/config/configtest"
	"github.com/halvs/halvs/healthcheck"
)

// diagCase is one row of a validation table: the config text and every diagnostic it must
// produce, each as "LINE:COL: severity: substring of the message". A diagnostic that no row
// entry names fails the row too, so a spurious warning or error is caught.
type diagCase struct {
	name string
	src  string
	want []string
}

func runDiagCases(t *testing.T, cases []diagCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg, diags := config.Parse([]byte(tc.src), "t.hcl")
			if diags.HasErrors() != (cfg == nil) {
				t.Errorf("HasErrors=%v but cfg=%v; a config with errors must be nil", diags.HasErrors(), cfg)
			}
			if missing, extra := matchDiags(diags, tc.want); len(missing)+len(extra) > 0 {
				t.Errorf("diagnostics differ\nmissing: %q\nunexpected:\n%s\ngot:\n%s", missing, extra, diags)
			}
		})
	}
}

// matchDiags pairs each wanted "LINE:COL: severity: substring" with a distinct diagnostic and
// returns the wanted entries nothing matched and the diagnostics no entry named.
func matchDiags(diags config.Diagnostics, want []string) (missing []string, extra config.Diagnostics) {
	used := make([]bool, len(diags))
	for _, w := range want {
		parts := strings.SplitN(w, ": ", 3)
		found := false
		for i, d := range diags {
			pos := fmt.Sprintf("%d:%d", d.Range.Start.Line, d.Range.Start.Column)
			if !used[i] && len(parts) == 3 && pos == parts[0] && d.Severity.String() == parts[1] && strings.Contains(d.Message, parts[2]) {
				used[i], found = true, true
				break
			}
		}
		if !found {
			missing = append(missing, w)
		}
	}
	for i, d := range diags {
		if !used[i] {
			extra = append(extra, d)
		}
	}
	return missing, extra
}

func mustParse(t *testing.T, src string) *config.Config {
	t.Helper()
	cfg, diags := config.Parse([]byte(src), "t.hcl")
	if diags.HasErrors() {
		t.Fatalf("unexpected errors:\n%s", diags)
	}
	return cfg
}

func TestSeedExamples(t *testing.T) {
	a, diags := config.Load("../examples/seed/director-a.hcl")
	if len(diags) > 0 {
		t.Fatalf("director-a.hcl: %s", diags)
	}
	b, diags := config.Load("../examples/seed/director-b.hcl")
	if len(diags) > 0 {
		t.Fatalf("director-b.hcl: %s", diags)
	}
	// The two directors differ only in state and priority.
	b.VRRPInstances[0].State, b.VRRPInstances[0].Priority = config.StateMaster, 150
	if diff := cmp.Diff(a, b, configtest.IgnorePositions()); diff != "" {
		t.Errorf("director-a vs director-b beyond state/priority (-a +b):\n%s", diff)
	}
	vs := a.VirtualServers[0]
	want := config.VirtualServer{
		Addr: netip.MustParseAddrPort("10.10.10.22:80"), Family: config.IPv4, Protocol: config.ProtocolTCP,
		Scheduler: config.SchedWRR, Method: config.MethodDR, SorryServerMethod: config.MethodDR,
		PersistenceGranularity: 32, DelayLoop: 6 * time.Second, Quorum: 1,
	}
	for _, addr := range []string{"10.10.10.31:80", "10.10.10.32:80"} {
		ap := netip.MustParseAddrPort(addr)
		want.RealServers = append(want.RealServers, config.RealServer{
			Addr: ap, Weight: 3, Method: config.MethodDR, DelayLoop: 6 * time.Second,
			Checkers: []config.Checker{{Kind: healthcheck.KindTCP, ConnectIP: ap.Addr(), ConnectPort: 80,
				ConnectTimeout: 3 * time.Second, Retry: 3, DelayBeforeRetry: 3 * time.Second,
				DelayLoop: 6 * time.Second, Warmup: 6 * time.Second}},
		})
	}
	if diff := cmp.Diff(want, vs, configtest.IgnorePositions()); diff != "" {
		t.Errorf("seed virtual_server (-want +got):\n%s", diff)
	}
}

// TestBrokenConfigNamesFileLineCol loads a file with several mistakes and checks the exact
// text a user sees.
func TestBrokenConfigNamesFileLineCol(t *testing.T) {
	path := filepath.Join("testdata", "broken.hcl")
	cfg, diags := config.Load(path)
	if cfg != nil {
		t.Fatal("a config with errors was returned as usable")
	}
	want := []string{
		path + `:4:3: error: unknown keyword "priorty" in vrrp_instance "VI_1"; did you mean "priority"?`,
		path + `:5:23: error: virtual_router_id must be a whole number from 1 to 255, not 256`,
		path + `:6:24: error: virtual_ipaddress entry "10.10.10.300/32": "10.10.10.300/32" is not an address with a prefix length`,
		path + `:12:3: error: real_server [2001:db8::31]:80 is IPv6 but virtual_server "10.10.10.22:80" is IPv4`,
	}
	got := diags.String()
	for _, w := range want {
		if !strings.Contains(got, w) {
			t.Errorf("missing line %q in:\n%s", w, got)
		}
	}
	if err := diags.Err(); err == nil || !strings.Contains(err.Error(), path+":4:3") {
		t.Errorf("Err() = %v, want the errors", err)
	}
}

func TestLoadMissingFile(t *testing.T) {
	cfg, diags := config.Load("testdata/does-not-exist.hcl")
	if cfg != nil || !diags.HasErrors() || !strings.HasPrefix(diags[0].String(), "testdata/does-not-exist.hcl: error: cannot read config") {
		t.Errorf("got cfg=%v diags=%q", cfg, diags)
	}
}

func TestSyntaxError(t *testing.T) {
	runDiagCases(t, []diagCase{
		{name: "unclosed block", src: "global {\n  router_id = \"x\"\n", want: []string{"1:8: error: Unclosed configuration block"}},
		{name: "redefined attribute", src: "global {\n  router_id = \"x\"\n  router_id = \"y\"\n}\n", want: []string{"3:3: error: Attribute redefined"}},
		{name: "variables not allowed", src: "global {\n  router_id = foo\n}\n", want: []string{"2:15: error: Variables not allowed"}},
		{name: "unknown top-level block", src: "global_defs {\n}\n", want: []string{`1:1: error: unknown block "global_defs" in the top level; the block is called "global" in halvs`}},
		{name: "duplicate global", src: "global {\n}\nglobal {\n}\n", want: []string{"3:1: error: duplicate global block"}},
	})
}

func TestWriteFormat(t *testing.T) {
	var b strings.Builder
	ds := config.Diagnostics{{Severity: config.SeverityWarning, Message: "m"}}
	ds[0].Range.Filename, ds[0].Range.Start.Line, ds[0].Range.Start.Column = "f.hcl", 3, 7
	if err := ds.Write(&b); err != nil || b.String() != "f.hcl:3:7: warning: m\n" {
		t.Errorf("Write = %q, %v", b.String(), err)
	}
	if ds.HasErrors() || ds.Err() != nil {
		t.Error("a warning is not an error")
	}
}
