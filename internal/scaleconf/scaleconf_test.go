package scaleconf

import (
	"net/netip"
	"testing"
	"time"

	"github.com/halvs/halvs/config"
	"github.com/halvs/halvs/config/keepalivedconf"
	"github.com/halvs/halvs/director"
	"github.com/halvs/halvs/lvs"
)

// TestFormsAgree checks that the HCL loads without a finding and programs Table, and that the
// keepalived.conf converts to the same table, weights overridden included.
func TestFormsAgree(t *testing.T) {
	s := Spec{Services: 300, PerService: 4, Interface: "eth0", Priority: 150,
		AdvertInt: 100 * time.Millisecond, VIP: netip.MustParsePrefix("10.0.0.100/32")}.WithWeight(Dest{299, 3}, 7)
	if err := s.Validate(); err != nil {
		t.Fatal(err)
	}
	want := s.Table()
	if got := want[299].Destinations[3]; got.Weight != 7 || got.Addr != netip.MustParseAddrPort("10.5.1.43:80") {
		t.Fatalf("overridden destination %+v, want 10.5.1.43:80 at weight 7", got)
	}
	tests := []struct {
		name string
		hcl  func(t *testing.T) []byte
	}{
		{"HCL", func(*testing.T) []byte { return s.HCL() }},
		{"keepalived.conf converted", func(t *testing.T) []byte {
			nodes, diags := keepalivedconf.Read("scale.conf", s.Keepalived(), nil)
			if diags.HasErrors() {
				t.Fatalf("read: %v", diags)
			}
			out, diags := keepalivedconf.Convert(nodes)
			if diags.HasErrors() {
				t.Fatalf("convert: %v", diags)
			}
			return out
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, diags := config.Parse(tt.hcl(t), "scale.hcl")
			if len(diags) > 0 {
				t.Fatalf("diagnostics:\n%s", diags)
			}
			if n := len(cfg.VRRPInstances); n != 1 || cfg.VRRPInstances[0].AdvertInt != s.AdvertInt {
				t.Errorf("VRRP instances %+v, want one at advert_int %v", cfg.VRRPInstances, s.AdvertInt)
			}
			got, err := director.LVSTable(cfg)
			if err != nil {
				t.Fatal(err)
			}
			if ops := lvs.Diff(got, want, nil); len(ops) > 0 {
				t.Errorf("%d operations from the table the config programs to Table (first: %v)", len(ops), ops[0])
			}
		})
	}
}
