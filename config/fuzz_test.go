package config_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/halvs/halvs/config"
	"github.com/halvs/halvs/config/configtest"
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
	// The loader's bounds: nesting at and past the limit, in brackets and in templates;
	// bytes that are not UTF-8; a file of invalid characters; a long file of errors.
	f.Add([]byte("global {\n  router_id = " + strings.Repeat("[", 63) + strings.Repeat("]", 63) + "\n}\n"))
	f.Add([]byte("global {\n  router_id = " + strings.Repeat("[", 2000) + strings.Repeat("]", 2000) + "\n}\n"))
	f.Add([]byte("global {\n  router_id = " + strings.Repeat(`"${`, 40) + strings.Repeat(`}"`, 40) + "\n}\n"))
	f.Add([]byte("global {\n  router_id = <<EOT\n{{{{ ${[[1]]} $${ %%{\n  EOT\n}\n"))
	f.Add([]byte("global {\n  router_id = \"a\xffb\xc0\x80\"\n}\n# caf\xe9\n"))
	f.Add([]byte("x = " + strings.Repeat("@", 4096)))
	f.Add([]byte(strings.Repeat("x = = =\n", 2000)))
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
		if diff := cmp.Diff(cfg, cfg2, configtest.IgnorePositions()); diff != "" {
			t.Fatalf("configs differ between two parses:\n%s", diff)
		}
	})
}
