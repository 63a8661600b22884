package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/halvs/halvs/config"
	"github.com/halvs/halvs/config/configtest"
)

func runHalvs(args ...string) (code int, stdout, stderr string) {
	var out, errb bytes.Buffer
	code = dispatch(args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestConvertSeedCommand(t *testing.T) {
	code, stdout, stderr := runHalvs("convert", "../../examples/seed/keepalived.conf")
	if code != exitOK || stderr != "" {
		t.Fatalf("exit %d, stderr:\n%s", code, stderr)
	}
	got, diags := config.Parse([]byte(stdout), "converted.hcl")
	if diags.HasErrors() {
		t.Fatalf("output does not load: %s\n%s", diags, stdout)
	}
	want, diags := config.Load("../../examples/seed/director-a.hcl")
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	if diff := cmp.Diff(want, got, configtest.IgnorePositions()); diff != "" {
		t.Errorf("converted seed differs from director-a.hcl (-want +got):\n%s", diff)
	}
}

func TestConvertCommand(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	good := write("good.conf", `global_defs {
  router_id R
  smtp_server 10.0.0.25
}
vrrp_instance VI_1 {
  interface eth0
  virtual_router_id 9
  @a priority 200
}
`)
	broken := write("broken.conf", "vrrp_instance VI_1 {\n  state MASTER\n")
	tests := []struct {
		name       string
		args       []string
		wantCode   int
		wantStdout []string // substrings
		wantStderr []string // substrings
	}{
		{"converts with warnings", []string{"convert", good}, exitOK,
			[]string{`router_id = "R"`, `vrrp_instance "VI_1" {`},
			[]string{good + ":3: warning: smtp_server in global left out", good + `:8: warning: line for config id "a" left out`}},
		{"config id", []string{"convert", "--config-id", "a", good}, exitOK,
			[]string{"priority          = 200"}, []string{"smtp_server"}},
		{"unparsable input", []string{"convert", broken}, exitFailure,
			nil, []string{broken + `:1: error: the block of "vrrp_instance" is not closed`, "cannot be converted"}},
		{"missing file", []string{"convert", filepath.Join(dir, "nope.conf")}, exitFailure,
			nil, []string{"nope.conf: error:", "no such file"}},
		{"no file", []string{"convert"}, exitUsage, nil, []string{"which file?", "Usage: halvs convert"}},
		{"two files", []string{"convert", good, good}, exitUsage, nil, []string{"one file only"}},
		{"bad flag", []string{"convert", "--nope", good}, exitUsage, nil, []string{"flag provided but not defined"}},
		{"help", []string{"convert", "-h"}, exitOK, []string{"Usage: halvs convert", "Exit status"}, nil},
		{"help via halvs help", []string{"help", "convert"}, exitOK, []string{"Usage: halvs convert"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runHalvs(tt.args...)
			if code != tt.wantCode {
				t.Errorf("exit %d, want %d; stderr:\n%s", code, tt.wantCode, stderr)
			}
			for _, s := range tt.wantStdout {
				if !strings.Contains(stdout, s) {
					t.Errorf("stdout lacks %q:\n%s", s, stdout)
				}
			}
			for _, s := range tt.wantStderr {
				if !strings.Contains(stderr, s) {
					t.Errorf("stderr lacks %q:\n%s", s, stderr)
				}
			}
			if tt.wantCode != exitOK && stdout != "" {
				t.Errorf("stdout on failure: %q", stdout)
			}
		})
	}
}

// TestConvertReportsCheck shows the 'halvs check' findings on the output: a keepalived
// config that converts but that halvs refuses (here: no virtual_router_id) says so, at a
// position in the converted output, and exits 1 with the HCL still written.
func TestConvertReportsCheck(t *testing.T) {
	p := filepath.Join(t.TempDir(), "k.conf")
	if err := os.WriteFile(p, []byte("vrrp_instance VI_1 {\n  interface eth0\n  virtual_ipaddress {\n    192.0.2.1\n  }\n}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := runHalvs("convert", p)
	if code != exitFailure {
		t.Errorf("exit %d, want %d", code, exitFailure)
	}
	if !strings.Contains(stdout, `vrrp_instance "VI_1" {`) {
		t.Errorf("the HCL is not written:\n%s", stdout)
	}
	for _, want := range []string{"'halvs check' on the output reports:",
		`<converted output>:1:1: error: vrrp_instance "VI_1" needs virtual_router_id`,
		"does not pass 'halvs check' (1 error)"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
}

// TestConvertPassesCheck converts inputs keepalived accepts but whose literal translation
// halvs check refuses; the converter applies keepalived's own corrections, so the output
// passes and convert exits 0.
func TestConvertPassesCheck(t *testing.T) {
	src := `global_defs {
  notify_fifo /run/k.fifo root
}
vrrp_instance VI_1 {
  interface eth0
  virtual_router_id 51
  priority 255
  advert_int 0.5
  virtual_ipaddress {
    192.0.2.1
  }
}
vrrp_instance VI_6 {
  interface eth0
  virtual_router_id 52
  version 3
  authentication {
    auth_pass secret
  }
  virtual_ipaddress {
    192.0.2.2
  }
}
virtual_server 192.0.2.1 80 {
  protocol tcp
  real_server 10.0.0.2 80 {
    lb_kind DR
  }
}
`
	p := filepath.Join(t.TempDir(), "k.conf")
	if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := runHalvs("convert", p)
	if code != exitOK {
		t.Fatalf("exit %d, want %d; stderr:\n%s\nstdout:\n%s", code, exitOK, stderr, stdout)
	}
	if strings.Contains(stderr, "'halvs check' on the output reports") {
		t.Errorf("the check reports something:\n%s", stderr)
	}
	for _, want := range []string{":2: warning: notify_fifo: the FIFO owner", ":8: warning: advert_int 0.5", ":17: warning: authentication in vrrp_instance"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
}
