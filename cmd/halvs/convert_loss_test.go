package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/halvs/halvs/config"
	"github.com/halvs/halvs/config/configtest"
)

const lossConf = `global_defs {
  router_id A
  enable_snmp_vrrp
}
vrrp_instance VI_1 {
  interface eth0
  virtual_router_id 51
  virtual_ipaddress {
    10.0.0.100/24
  }
}
virtual_server 10.0.0.100 443 {
  protocol TCP
  real_server 10.0.0.12 443 {
    BFD_CHECK {
    }
  }
}
`

// TestConvertLossExit: a behavioural loss is an error that names its consequence and
// makes convert exit 1, with the output still written; --allow-loss exits 0; a cosmetic
// loss alone exits 0.
func TestConvertLossExit(t *testing.T) {
	dir := t.TempDir()
	lossy := filepath.Join(dir, "lossy.conf")
	cosmetic := filepath.Join(dir, "cosmetic.conf")
	if err := os.WriteFile(lossy, []byte(lossConf), 0o644); err != nil {
		t.Fatal(err)
	}
	noLoss := strings.Replace(lossConf, "    BFD_CHECK {\n    }\n", "    TCP_CHECK {\n    }\n", 1)
	if err := os.WriteFile(cosmetic, []byte(noLoss), 0o644); err != nil {
		t.Fatal(err)
	}
	consequence := lossy + `:15: error: BFD_CHECK in real_server "10.0.0.12:443" left out: `
	tests := []struct {
		name       string
		args       []string
		wantCode   int
		wantStderr []string
		notStderr  string
	}{
		{"behavioural loss", []string{"convert", lossy}, exitFailure, []string{
			consequence, "; real server 10.0.0.12:443 has no checker now and stays in the table whatever its health\n",
			lossy + ":3: warning: enable_snmp_vrrp in global left out",
			"halvs convert: 1 behavioural loss (the errors above): the output does not do everything " + lossy + " did; rewrite those parts by hand, or accept the losses with --allow-loss\n"},
			""},
		{"--allow-loss", []string{"convert", "--allow-loss", lossy}, exitOK, []string{
			consequence, "halvs convert: 1 behavioural loss accepted with --allow-loss"}, ""},
		{"cosmetic only", []string{"convert", cosmetic}, exitOK, []string{
			cosmetic + ":3: warning: enable_snmp_vrrp in global left out"}, "error"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runHalvs(tt.args...)
			if code != tt.wantCode {
				t.Errorf("exit %d, want %d; stderr:\n%s", code, tt.wantCode, stderr)
			}
			if !strings.Contains(stdout, `virtual_server "10.0.0.100:443" {`) {
				t.Errorf("the HCL is not written:\n%s", stdout)
			}
			for _, s := range tt.wantStderr {
				if !strings.Contains(stderr, s) {
					t.Errorf("stderr lacks %q:\n%s", s, stderr)
				}
			}
			if tt.notStderr != "" && strings.Contains(stderr, tt.notStderr) {
				t.Errorf("stderr holds %q:\n%s", tt.notStderr, stderr)
			}
		})
	}
}

// TestConvertStdin: "convert -" reads standard input, named <stdin> in diagnostics.
func TestConvertStdin(t *testing.T) {
	saved := convertStdin
	t.Cleanup(func() { convertStdin = saved })
	convertStdin = strings.NewReader(lossConf)
	code, stdout, stderr := runHalvs("convert", "--allow-loss", "-")
	if code != exitOK {
		t.Errorf("exit %d; stderr:\n%s", code, stderr)
	}
	if !strings.Contains(stderr, "<stdin>:15: error: BFD_CHECK") {
		t.Errorf("stderr does not name <stdin>:\n%s", stderr)
	}
	if !strings.Contains(stdout, `router_id = "A"`) {
		t.Errorf("stdout:\n%s", stdout)
	}
}

// TestConvertOutDir: -o DIR writes one HCL file per keepalived file, which check loads to
// the configuration of the single-file output; a second run refuses to overwrite them.
func TestConvertOutDir(t *testing.T) {
	in := t.TempDir()
	files := map[string]string{
		"keepalived.conf":    "# A\nglobal_defs {\n  router_id A\n}\ninclude conf.d/*.conf\n",
		"conf.d/vi.conf":     "vrrp_instance VI_1 {\n  interface eth0\n  virtual_router_id 51\n  virtual_ipaddress {\n    10.0.0.100/24\n  }\n}\ninclude vs/*.conf\n",
		"conf.d/vs/web.conf": "virtual_server 10.0.0.100 80 {\n  protocol TCP\n  real_server 10.0.0.11 80 {\n    TCP_CHECK {\n    }\n  }\n}\n",
	}
	for name, text := range files {
		p := filepath.Join(in, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	main := filepath.Join(in, "keepalived.conf")
	out := t.TempDir()
	code, stdout, stderr := runHalvs("convert", "-o", out, main)
	if code != exitOK || stdout != "" || stderr != "" {
		t.Fatalf("exit %d, stdout %q, stderr:\n%s", code, stdout, stderr)
	}
	var written []string
	filepath.WalkDir(out, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			rel, _ := filepath.Rel(out, p)
			written = append(written, rel)
		}
		return nil
	})
	if diff := cmp.Diff([]string{"conf.d/vi.hcl", "conf.d/vs/web.hcl", "halvs.hcl"}, written); diff != "" {
		t.Errorf("files written (-want +got):\n%s", diff)
	}
	code, checkOut, checkErr := runHalvs("check", "-c", filepath.Join(out, "halvs.hcl"))
	if code != exitOK || !strings.Contains(checkOut, "1 vrrp_instance, 1 virtual_server, 1 real_server") {
		t.Errorf("check: exit %d\n%s%s", code, checkOut, checkErr)
	}
	_, flat, _ := runHalvs("convert", main)
	want, diags := config.Parse([]byte(flat), "flat.hcl")
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	got, diags := config.Load(filepath.Join(out, "halvs.hcl"))
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	if diff := cmp.Diff(want, got, configtest.IgnorePositions()); diff != "" {
		t.Errorf("-o DIR loads to another config than the single file (-want +got):\n%s", diff)
	}
	code, _, stderr = runHalvs("convert", "-o", out, main)
	if code != exitFailure || !strings.Contains(stderr, filepath.Join(out, "halvs.hcl")+" exists; convert into an empty directory (nothing was written)") {
		t.Errorf("second run: exit %d, stderr:\n%s", code, stderr)
	}
}

// TestCheckKeepalivedConf: check and -t on a keepalived.conf say so in one line, naming
// halvs convert, instead of HCL's syntax errors.
func TestCheckKeepalivedConf(t *testing.T) {
	const seed = "../../examples/seed/keepalived.conf"
	want := seed + `:4:1: error: this is keepalived.conf syntax ("global_defs {"), not halvs' HCL; convert it first: halvs convert ` + seed + "\n"
	for _, args := range [][]string{{"check", "-c", seed}, {"-t", "-c", seed}} {
		code, _, stderr := runHalvs(args...)
		if code != exitFailure {
			t.Errorf("%v: exit %d", args, code)
		}
		if first, _, _ := strings.Cut(stderr, "\n"); first+"\n" != want {
			t.Errorf("%v: first line\n%s\nwant\n%s", args, stderr, want)
		}
		if strings.Count(stderr, "error:") != 1 {
			t.Errorf("%v: more than one error:\n%s", args, stderr)
		}
	}
}
