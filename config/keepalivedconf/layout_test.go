package keepalivedconf

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/halvs/halvs/config"
	"github.com/halvs/halvs/config/configtest"
)

// writeFiles writes files (relative name → text) under dir.
func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, text := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// TestConvertFilesIncludeTree: a keepalived.conf that includes a file that includes
// another converts to three HCL files, each including the next where its keepalived file
// did, which load back to the configuration of the single-file conversion.
func TestConvertFilesIncludeTree(t *testing.T) {
	in := t.TempDir()
	writeFiles(t, in, map[string]string{
		"keepalived.conf": `! director A
global_defs {
  router_id A
}
vrrp_script chk_web {
  script "/usr/bin/curl -sf http://127.0.0.1/"
}
include conf.d/*.conf
vrrp_instance VI_2 {
  interface eth0
  virtual_router_id 52
  virtual_ipaddress {
    10.0.0.200/24
  }
}
`,
		"conf.d/web.conf": `# the web tier
vrrp_instance VI_1 {
  interface eth0
  virtual_router_id 51
  track_script {
    chk_web
  }
  virtual_ipaddress {
    10.0.0.100/24
  }
}
include ../services/*.conf
`,
		"services/https.conf": `virtual_server 10.0.0.100 443 {
  protocol TCP
  lb_kind DR
  real_server 10.0.0.11 443 {
    TCP_CHECK {
      connect_timeout 3
    }
  }
}
`,
	})
	tree, diags := ReadTree(filepath.Join(in, "keepalived.conf"), nil)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	files, cdiags := ConvertFiles(tree)
	if len(cdiags) > 0 {
		t.Errorf("diagnostics: %v", cdiags)
	}
	var names []string
	for _, f := range files {
		names = append(names, f.Name)
	}
	if diff := cmp.Diff([]string{"halvs.hcl", "conf.d/web.hcl", "services/https.hcl"}, names); diff != "" {
		t.Fatalf("files (-want +got):\n%s", diff)
	}
	for _, want := range []struct{ file, text string }{
		{"halvs.hcl", "}\n\ninclude = [\"conf.d/web.hcl\"]\n\nvrrp_instance \"VI_2\" {"},
		{"halvs.hcl", "# director A\nglobal {"},
		{"conf.d/web.hcl", "# the web tier\nvrrp_instance \"VI_1\" {"},
		{"conf.d/web.hcl", "include = [\"../services/https.hcl\"]\n"},
		{"services/https.hcl", "virtual_server \"10.0.0.100:443\" {"},
	} {
		for _, f := range files {
			if f.Name == want.file && !strings.Contains(string(f.HCL), want.text) {
				t.Errorf("%s lacks %q:\n%s", f.Name, want.text, f.HCL)
			}
		}
	}
	out := t.TempDir()
	for _, f := range files {
		writeFiles(t, out, map[string]string{f.Name: string(f.HCL)})
	}
	got, ldiags := config.Load(filepath.Join(out, "halvs.hcl"))
	if ldiags.HasErrors() {
		t.Fatalf("the files do not load:\n%s", ldiags)
	}
	flat, _ := ConvertFlat(tree)
	want, pdiags := config.Parse(flat, "flat.hcl")
	if pdiags.HasErrors() {
		t.Fatalf("the flat conversion does not load:\n%s\n%s", pdiags, flat)
	}
	if diff := cmp.Diff(want, got, configtest.IgnorePositions()); diff != "" {
		t.Errorf("the files load to another config than the flat conversion (-want +got):\n%s", diff)
	}
	if len(got.VRRPInstances) != 2 || len(got.VirtualServers) != 1 || len(got.VRRPScripts) != 1 {
		t.Errorf("config holds %d instances, %d virtual servers, %d scripts; want 2, 1, 1",
			len(got.VRRPInstances), len(got.VirtualServers), len(got.VRRPScripts))
	}
}

// TestConvertFilesNames: included files keep their paths relative to the main file, with
// .hcl; a file outside its directory goes to included/, a name taken twice gets -2; a file
// included inside a block has no HCL file of its own and says so.
func TestConvertFilesNames(t *testing.T) {
	files := map[string]string{
		"/etc/keepalived/keepalived.conf": "include a.conf\ninclude a.cfg\ninclude /srv/shared/vs.conf\nvirtual_server 10.0.0.1 80 {\n  protocol TCP\n  include rs.inc\n}\n",
		"/etc/keepalived/a.conf":          "vrrp_script a {\n  script /bin/true\n}\n",
		"/etc/keepalived/a.cfg":           "vrrp_script b {\n  script /bin/true\n}\n",
		"/srv/shared/vs.conf":             "virtual_server 10.0.0.2 80 {\n  protocol TCP\n}\n",
		"/etc/keepalived/rs.inc":          "real_server 10.0.0.3 80 {\n}\n",
	}
	tree, diags := ReadTree("/etc/keepalived/keepalived.conf", memOptions(files))
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	out, cdiags := ConvertFiles(tree)
	got := map[string]string{}
	for _, f := range out {
		got[f.Name] = f.From
	}
	want := map[string]string{
		"halvs.hcl":       "/etc/keepalived/keepalived.conf",
		"a.hcl":           "/etc/keepalived/a.conf",
		"a-2.hcl":         "/etc/keepalived/a.cfg",
		"included/vs.hcl": "/srv/shared/vs.conf",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("files (-want +got):\n%s", diff)
	}
	if !strings.Contains(string(out[0].HCL), `include = ["a.hcl", "a-2.hcl", "included/vs.hcl"]`) {
		t.Errorf("main file:\n%s", out[0].HCL)
	}
	if !strings.Contains(string(out[0].HCL), `real_server "10.0.0.3:80"`) {
		t.Errorf("the real server included inside a block is not in its block:\n%s", out[0].HCL)
	}
	wantDiags := []string{"/etc/keepalived/keepalived.conf:6: warning: /etc/keepalived/rs.inc holds no top-level statement (it is included inside a block, or holds none); its statements are written where the include stands, as HCL includes work at the top level only"}
	if diff := cmp.Diff(wantDiags, diagStrings(cdiags)); diff != "" {
		t.Errorf("diagnostics (-want +got):\n%s", diff)
	}
}
