package config_test

import (
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/halvs/halvs/config"
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// lvsTable is the LVS benchmark's configuration (integration/vm/bench's table.hcl): services
// TCP virtual servers 10.1.X.Y:80 (wrr, DR), each with perService real servers of its own,
// 10.(2+j).X.Y:80, at weights 1 to 5, no checkers.
func lvsTable(services, perService int) string {
	var b strings.Builder
	b.WriteString("global {\n  router_id = \"LVS_BENCH\"\n}\n")
	for i := range services {
		vip := netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, 1, byte(i >> 8), byte(i)}), 80)
		fmt.Fprintf(&b, "\nvirtual_server %q {\n  lb_algo  = \"wrr\"\n  lb_kind  = \"DR\"\n  protocol = \"TCP\"\n", vip)
		for j := range perService {
			rs := netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, byte(2 + j), byte(i >> 8), byte(i)}), 80)
			fmt.Fprintf(&b, "  real_server %q {\n    weight = %d\n  }\n", rs, 1+(i+j)%5)
		}
		b.WriteString("}\n")
	}
	return b.String()
}

// TestLVSTableLoads checks that the benchmark's configuration is a valid one, so that the
// benchmark measures a whole load and not an early error.
func TestLVSTableLoads(t *testing.T) {
	cfg, diags := config.Parse([]byte(lvsTable(20, 10)), "bench.hcl")
	if diags.HasErrors() || len(diags) != 0 {
		t.Fatalf("diagnostics:\n%s", diags)
	}
	if got := len(cfg.VirtualServers); got != 20 {
		t.Fatalf("%d virtual servers, want 20", got)
	}
	for _, vs := range cfg.VirtualServers {
		if got := len(vs.RealServers); got != 10 {
			t.Fatalf("virtual server %v: %d real servers, want 10", vs, got)
		}
	}
}

// BenchmarkLoadLVSTable is config.Load on `halvs ipvs`' largest benchmark table, 1,000
// virtual servers × 10 real servers (about 50,000 lines). Profile it with
// go test ./config -run '^$' -bench LoadLVSTable -cpuprofile /tmp/cpu.pprof.
func BenchmarkLoadLVSTable(b *testing.B) {
	for _, n := range []int{100, 1000} {
		b.Run(fmt.Sprintf("%dx10", n), func(b *testing.B) {
			path := filepath.Join(b.TempDir(), "lvs.hcl")
			if err := os.WriteFile(path, []byte(lvsTable(n, 10)), 0o644); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				if _, diags := config.Load(path); diags.HasErrors() {
					b.Fatal(diags)
				}
			}
		})
	}
}

// BenchmarkParseLVSTableHCLOnly is the hcl library's share of BenchmarkLoadLVSTable: lexing
// and parsing the same text into hclsyntax's tree, which Parse does first and halvs' decoder
// cannot make cheaper. Load's time minus this one is halvs' own.
func BenchmarkParseLVSTableHCLOnly(b *testing.B) {
	src := []byte(lvsTable(1000, 10))
	b.ReportAllocs()
	for b.Loop() {
		if _, diags := hclsyntax.ParseConfig(src, "lvs.hcl", hcl.InitialPos); diags.HasErrors() {
			b.Fatal(diags)
		}
	}
}
