package config_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/halvs/halvs/config"
)

// FuzzLoad feeds arbitrary text to the loader: it must never panic, must return a Config
// exactly when there is no error, must place every diagnostic in the file, and must give the
// same answer twice.
func FuzzLoad(f *testing.F) {
	seeds, _ := filepath.Glob("../examples/seed/*.hcl")
	more, _ := filepath.Glob("testdata/*.hcl")
	for _, p := range append(seeds, more...) {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte(vi("  version = 3\n  advert_int = \"100ms\"\n  virtual_ipaddress = [\"2001:db8::1/64 dev eth0\"]\n  track_script = [\"c weight -2\"]\n")))
	f.Add([]byte(rs("    http_get {\n      url {\n        path = \"/\"\n        status_code = [200, \"300-302\"]\n      }\n    }\n")))
	f.Add([]byte("virtual_server_group \"G\" {\n  vip = [\"10.0.0.1-3:80\", \"[2001:db8::1-a]:80\"]\n  fwmark = [1]\n}\n"))
	f.Fuzz(func(t *testing.T, src []byte) {
		cfg, diags := config.Parse(src, "fuzz.hcl")
		if diags.HasErrors() != (cfg == nil) {
			t.Fatalf("HasErrors=%v but cfg nil=%v", diags.HasErrors(), cfg == nil)
		}
		for _, d := range diags {
			if d.Range.Filename != "fuzz.hcl" || d.Message == "" {
				t.Fatalf("diagnostic without a place or a message: %#v", d)
			}
		}
		cfg2, diags2 := config.Parse(src, "fuzz.hcl")
		if diff := cmp.Diff(diags.String(), diags2.String()); diff != "" {
			t.Fatalf("diagnostics differ between two parses:\n%s", diff)
		}
		if diff := cmp.Diff(cfg, cfg2, config.IgnorePositions()); diff != "" {
			t.Fatalf("configs differ between two parses:\n%s", diff)
		}
	})
}
