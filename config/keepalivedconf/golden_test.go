package keepalivedconf

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/halvs/halvs/config"
	"github.com/halvs/halvs/config/configtest"
)

var update = flag.Bool("update", false, "rewrite the golden .hcl and .diags files of testdata/convert")

// TestConvertGolden converts each testdata/convert/*.conf (with its includes) and compares the
// HCL and the diagnostics with the golden NAME.hcl and NAME.diags. Every output must also
// load with config.Parse without errors: the converter's promise to `halvs check`.
func TestConvertGolden(t *testing.T) {
	inputs, err := filepath.Glob("testdata/convert/*.conf")
	if err != nil || len(inputs) == 0 {
		t.Fatalf("no testdata/convert/*.conf: %v", err)
	}
	for _, in := range inputs {
		name := strings.TrimSuffix(filepath.Base(in), ".conf")
		t.Run(name, func(t *testing.T) {
			nodes, diags := ReadFile(in, nil)
			if diags.HasErrors() {
				t.Fatalf("reading %s:\n%v", in, diags)
			}
			hcl, convDiags := Convert(nodes)
			gotDiags := strings.Join(diagStrings(append(diags, convDiags...)), "\n") + "\n"
			golden(t, strings.TrimSuffix(in, ".conf")+".hcl", string(hcl))
			golden(t, strings.TrimSuffix(in, ".conf")+".diags", gotDiags)
			if _, cdiags := config.Parse(hcl, name+".hcl"); cdiags.HasErrors() {
				t.Errorf("converted output does not pass config.Parse:\n%s\n%s", cdiags, hcl)
			}
		})
	}
}

func golden(t *testing.T, path, got string) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("%s (-want +got):\n%s", path, diff)
	}
}

// TestConvertSeed converts the shipped keepalived.conf of the reference scenario and checks
// that it means exactly what examples/seed/director-a.hcl means, both loaded by the config
// package and compared field by field (positions aside).
func TestConvertSeed(t *testing.T) {
	nodes, diags := ReadFile("../../examples/seed/keepalived.conf", nil)
	if len(diags) > 0 {
		t.Fatalf("reading the seed: %v", diags)
	}
	hcl, diags := Convert(nodes)
	if len(diags) > 0 {
		t.Errorf("converting the seed: %v", diags)
	}
	got, cdiags := config.Parse(hcl, "converted.hcl")
	if cdiags.HasErrors() {
		t.Fatalf("converted seed does not load:\n%s\n%s", cdiags, hcl)
	}
	want, wdiags := config.Load("../../examples/seed/director-a.hcl")
	if wdiags.HasErrors() {
		t.Fatalf("director-a.hcl does not load: %s", wdiags)
	}
	if diff := cmp.Diff(want, got, configtest.IgnorePositions()); diff != "" {
		t.Errorf("converted keepalived.conf differs from director-a.hcl (-want +got):\n%s\nconverted:\n%s", diff, hcl)
	}
}
