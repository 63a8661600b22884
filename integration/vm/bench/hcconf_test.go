package main

import (
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/halvs/halvs/config"
	"github.com/halvs/halvs/director"
	"github.com/halvs/halvs/healthcheck"
)

// The health-check section compares keepalived's checker with halvs' on the same checks: the
// two configurations must give the same IPVS table and the same checks, or the figures
// compare different work.

func noUsers(name, group string) (uint32, uint32, error) { return 0, 0, nil }

// hcPlan is the scheduler's input halvs builds from an HCL source.
func hcPlan(t *testing.T, src string) []healthcheck.VirtualServer {
	t.Helper()
	cfg, diags := config.Parse([]byte(src), "hc.hcl")
	if diags.HasErrors() {
		var b strings.Builder
		diags.Write(&b)
		t.Fatalf("HCL does not load:\n%s", b.String())
	}
	plans, err := director.TranslateHealth(cfg, noUsers)
	if err != nil {
		t.Fatal(err)
	}
	var out []healthcheck.VirtualServer
	for _, p := range plans {
		out = append(out, p.VS)
	}
	return out
}

func TestHCHCLIsTheTableAndChecks(t *testing.T) {
	tb := hcTable{n: 300, base: 20000} // 300: addresses past one byte
	src := tb.hcl("/tmp/hc.sock")
	if diff := cmp.Diff(tb.lvs(), hclTable(t, src), equateNet); diff != "" {
		t.Errorf("HCL's IPVS table (-want +got):\n%s", diff)
	}
	var want []healthcheck.VirtualServer
	for i := range tb.n {
		want = append(want, healthcheck.VirtualServer{
			Name: tb.vip(i).String() + "/TCP", Quorum: 1,
			RealServers: []healthcheck.RealServer{{Addr: tb.rs(i), Weight: 1, Checks: []healthcheck.Check{{
				Spec: healthcheck.TCPSpec{Conn: healthcheck.Conn{
					ConnectIP: netip.MustParseAddr("127.0.0.1"), ConnectPort: uint16(20000 + i), ConnectTimeout: time.Second}},
				Timing: healthcheck.Timing{DelayLoop: time.Second, Retry: 1, DelayBeforeRetry: time.Second, Warmup: time.Second},
			}}}},
		})
	}
	if diff := cmp.Diff(want, hcPlan(t, src), equateNet); diff != "" {
		t.Errorf("HCL's checks (-want +got):\n%s", diff)
	}
}

// TestHCKeepalivedIsTheSame reads the keepalived.conf through halvs' converter (tested
// against keepalived itself): same table, same checks as the HCL.
func TestHCKeepalivedIsTheSame(t *testing.T) {
	tb := hcTable{n: 300, base: 20000}
	hcl := convertKeepalived(t, tb.keepalived())
	if diff := cmp.Diff(tb.lvs(), hclTable(t, hcl), equateNet); diff != "" {
		t.Errorf("keepalived.conf's IPVS table (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(hcPlan(t, tb.hcl("/tmp/hc.sock")), hcPlan(t, hcl), equateNet); diff != "" {
		t.Errorf("keepalived.conf's checks against the HCL's (-hcl +keepalived):\n%s", diff)
	}
}

func TestHCTableValidate(t *testing.T) {
	for _, tc := range []struct {
		tb hcTable
		ok bool
	}{
		{hcTable{n: 500, base: 20000}, true},
		{hcTable{n: 0, base: 20000}, false},
		{hcTable{n: 100, base: 80}, false},
		{hcTable{n: 50000, base: 20000}, false}, // past port 65535
		{hcTable{n: 1, base: 65535}, true},
	} {
		if err := tc.tb.validate(); (err == nil) != tc.ok {
			t.Errorf("%+v: validate() = %v, want ok %v", tc.tb, err, tc.ok)
		}
	}
}
