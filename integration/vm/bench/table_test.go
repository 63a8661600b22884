package main

import (
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/halvs/halvs/config"
	"github.com/halvs/halvs/config/keepalivedconf"
	"github.com/halvs/halvs/director"
	"github.com/halvs/halvs/lvs"
)

// The three notations the benchmark hands to halvs, keepalived and ipvsadm must describe one
// and the same table, or the timings compare different work.

var equateNet = cmpopts.EquateComparable(netip.AddrPort{}, netip.Addr{})

func hclTable(t *testing.T, src string) []lvs.VirtualServer {
	t.Helper()
	cfg, diags := config.Parse([]byte(src), "bench.hcl")
	if diags.HasErrors() {
		var b strings.Builder
		diags.Write(&b)
		t.Fatalf("generated HCL does not load:\n%s", b.String())
	}
	got, err := director.LVSTable(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func TestHCLIsTheTable(t *testing.T) {
	tb := table{services: 300, perService: 10} // 300: service numbers past one byte
	if diff := cmp.Diff(tb.lvs(), hclTable(t, tb.hcl(-1, 0, 0)), equateNet); diff != "" {
		t.Errorf("HCL's table (-want +got):\n%s", diff)
	}
}

func TestHCLEditChangesOneWeight(t *testing.T) {
	tb := table{services: 20, perService: 10}
	want := tb.lvs()
	want[7].Destinations[3].Weight = 42
	got := hclTable(t, tb.hcl(7, 3, 42))
	if diff := cmp.Diff(want, got, equateNet); diff != "" {
		t.Errorf("edited HCL's table (-want +got):\n%s", diff)
	}
	ops := lvs.Diff(tb.lvs(), got, nil)
	if len(ops) != 1 || ops[0].String() != "-e "+strings.Join(tb.editIpvsadm(7, 3, 42)[1:], " ") {
		t.Errorf("diff of the edit = %v, want the one ipvsadm %v", ops, tb.editIpvsadm(7, 3, 42))
	}
}

// TestRestoreIsTheTable: the restore file is exactly what halvs would apply from empty, in
// ipvsadm's notation (halvs ipvs --dry-run's output is ipvsadm --restore input).
func TestRestoreIsTheTable(t *testing.T) {
	tb := table{services: 300, perService: 10}
	var want []string
	for _, o := range lvs.Diff(nil, tb.lvs(), nil) {
		want = append(want, o.String())
	}
	got := strings.Split(strings.TrimSuffix(tb.restore(), "\n"), "\n")
	slices.Sort(want)
	slices.Sort(got)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("restore lines (-want +got):\n%s", diff)
	}
}

// TestKeepalivedIsTheTable reads the keepalived.conf through halvs' converter (tested against
// keepalived itself); the VM run checks keepalived's own table too.
func TestKeepalivedIsTheTable(t *testing.T) {
	tb := table{services: 300, perService: 10}
	if diff := cmp.Diff(tb.lvs(), hclTable(t, convertKeepalived(t, tb.keepalived())), equateNet); diff != "" {
		t.Errorf("keepalived.conf's table (-want +got):\n%s", diff)
	}
}

// convertKeepalived is a generated keepalived.conf in halvs' HCL, through halvs' converter.
func convertKeepalived(t *testing.T, conf string) string {
	t.Helper()
	nodes, diags := keepalivedconf.Read("keepalived.conf", []byte(conf), nil)
	if diags.HasErrors() {
		t.Fatalf("generated keepalived.conf does not parse: %v", diags)
	}
	hcl, diags := keepalivedconf.Convert(nodes)
	if diags.HasErrors() {
		t.Fatalf("generated keepalived.conf does not convert: %v", diags)
	}
	return string(hcl)
}
