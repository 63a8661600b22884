package config_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/halvs/halvs/config"
	"github.com/halvs/halvs/config/configtest"
)

const (
	incGlobal = "global {\n  router_id = \"R1\"\n}\n"
	incScript = "vrrp_script \"chk\" {\n  script = \"/bin/true\"\n}\n"
	incVI     = "vrrp_instance \"VI_1\" {\n  interface = \"eth0\"\n  virtual_router_id = 51\n  virtual_ipaddress = [\"10.0.0.1/24\"]\n  track_script = [\"chk\"]\n}\n"
	incVS     = "virtual_server \"10.0.0.1:80\" {\n  protocol = \"TCP\"\n  real_server \"10.0.0.11:80\" {\n    tcp_check {}\n  }\n}\n"
	incVS2    = "virtual_server \"10.0.0.1:443\" {\n  protocol = \"TCP\"\n  real_server \"10.0.0.11:443\" {}\n}\n"
)

// writeTree writes files (relative name → content) under a new directory and returns it.
func writeTree(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, src := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// TestIncludeLoadsSameConfig: a tree of files, included by glob (sorted) and nested, loads
// to the config of the one file holding the same blocks in the same order; so does the
// directory of the files, read as DIR/*.hcl.
func TestIncludeLoadsSameConfig(t *testing.T) {
	flat := writeTree(t, map[string]string{"flat.hcl": incGlobal + incScript + incVI + incVS + incVS2})
	want, diags := config.Load(filepath.Join(flat, "flat.hcl"))
	if diags.HasErrors() {
		t.Fatalf("flat config: %s", diags)
	}
	tests := []struct {
		name  string
		files map[string]string
		load  string
	}{
		{"glob, sorted, in place of the include", map[string]string{
			"main.hcl":         incGlobal + "include = [\"conf.d/*.hcl\"]\n" + incVS2,
			"conf.d/20-vs.hcl": incVS,
			"conf.d/10-vi.hcl": incScript + incVI,
			"conf.d/sub/x.hcl": "this is never read: a directory's files are not matched by conf.d/*.hcl",
			"conf.d/notes.txt": "not matched",
		}, "main.hcl"},
		{"nested includes, relative to the including file", map[string]string{
			"main.hcl":  "include = [\"a/a.hcl\"]\n" + incVS2,
			"a/a.hcl":   incGlobal + "include = [\"b/b.hcl\", \"vs.hcl\"]\n",
			"a/b/b.hcl": incScript + incVI,
			"a/vs.hcl":  incVS,
		}, "main.hcl"},
		{"a directory is its *.hcl files", map[string]string{
			"d/1.hcl": incGlobal + incScript,
			"d/2.hcl": incVI,
			"d/3.hcl": incVS + incVS2,
		}, "d"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := writeTree(t, tt.files)
			got, diags := config.Load(filepath.Join(dir, tt.load))
			if len(diags) > 0 {
				t.Fatalf("diagnostics:\n%s", diags)
			}
			if diff := cmp.Diff(want, got, configtest.IgnorePositions()); diff != "" {
				t.Errorf("config (-want +got):\n%s", diff)
			}
		})
	}
}

// TestIncludeDiagnostics: every diagnostic names the file and line it is about: the
// included file for its content, the including file's include for the include itself.
func TestIncludeDiagnostics(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string
		want  string // with DIR for the test's directory
	}{
		{"an error in an included file names it",
			map[string]string{"main.hcl": "include = [\"conf.d/*.hcl\"]\n", "conf.d/a.hcl": incScript + strings.Replace(incVI, "eth0\"", "eth0\"\n  bogus = 1", 1)},
			"DIR/conf.d/a.hcl:6:3: error: unknown keyword \"bogus\" in vrrp_instance \"VI_1\"\n"},
		{"a syntax error in an included file names it",
			map[string]string{"main.hcl": incGlobal + "include = [\"b.hcl\"]\n", "b.hcl": "\nvrrp_script \"x\" {\n  script = \n}\n"},
			"DIR/b.hcl:3:12: error: Invalid expression: Expected the start of an expression, but found an invalid expression token.\n"},
		{"a loop",
			map[string]string{"main.hcl": "include = [\"a.hcl\"]\n", "a.hcl": "\ninclude = [\"main.hcl\"]\n"},
			"DIR/a.hcl:2:12: error: include loop: DIR/main.hcl includes DIR/a.hcl includes DIR/main.hcl\n"},
		{"a file including itself",
			map[string]string{"main.hcl": "include = [\"*.hcl\"]\n"},
			"DIR/main.hcl:1:12: error: include loop: DIR/main.hcl includes DIR/main.hcl\n"},
		{"a file included twice",
			map[string]string{"main.hcl": "include = [\"a.hcl\", \"*.hcl\"]\n" + incGlobal, "a.hcl": "\n"},
			"DIR/main.hcl:1:21: error: DIR/a.hcl is included twice (first by the include at DIR/main.hcl:1:12); include each file once\n" +
				"DIR/main.hcl:1:21: error: include loop: DIR/main.hcl includes DIR/main.hcl\n"},
		{"a missing file",
			map[string]string{"main.hcl": incGlobal + "include = [\"nope.hcl\"]\n"},
			"DIR/main.hcl:4:12: error: include DIR/nope.hcl: stat DIR/nope.hcl: no such file or directory\n"},
		{"a pattern that matches nothing is a warning",
			map[string]string{"main.hcl": incGlobal + "include = [\"conf.d/*.hcl\"]\n"},
			"DIR/main.hcl:4:12: warning: include \"conf.d/*.hcl\" matches no file\n"},
		{"not a list",
			map[string]string{"main.hcl": "include = \"a.hcl\"\n"},
			"DIR/main.hcl:1:11: error: include takes a list of file names or patterns, e.g. include = [\"conf.d/*.hcl\"]\n"},
		{"include inside a block is not one",
			map[string]string{"main.hcl": "global {\n  include = [\"a.hcl\"]\n}\n"},
			"DIR/main.hcl:2:3: error: unknown keyword \"include\" in global\n"},
		{"a global block in two files names the other file",
			map[string]string{"main.hcl": incGlobal + "include = [\"a.hcl\"]\n", "a.hcl": "\n" + incGlobal},
			"DIR/a.hcl:2:1: error: duplicate global block in the top level (the first is at DIR/main.hcl:1:1); merge them\n"},
		{"a top-level setting in two files",
			map[string]string{"main.hcl": "interface_up_down_delays = []\ninclude = [\"a.hcl\"]\n", "a.hcl": "\ninterface_up_down_delays = []\n"},
			"DIR/a.hcl:2:1: error: interface_up_down_delays is set twice (first at DIR/main.hcl:1:1); set it in one file\n"},
		{"an included file's own top-level keyword is checked",
			map[string]string{"main.hcl": "include = [\"a.hcl\"]\n", "a.hcl": "router_id = \"x\"\n"},
			"DIR/a.hcl:1:1: error: unknown keyword \"router_id\" in the top level\n"},
		{"a keepalived.conf included",
			map[string]string{"main.hcl": "include = [\"k.conf\"]\n", "k.conf": "! Configuration File\nvrrp_instance VI_1 {\n  state MASTER\n}\n"},
			"DIR/k.conf:2:1: error: this is keepalived.conf syntax (\"vrrp_instance VI_1 {\"), not halvs' HCL; convert it first: halvs convert DIR/k.conf\n"},
		{"an empty directory",
			map[string]string{"d/x.txt": ""},
			"DIR/d: error: cannot read config: the directory holds no *.hcl file\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := writeTree(t, tt.files)
			load := filepath.Join(dir, "main.hcl")
			if _, ok := tt.files["main.hcl"]; !ok {
				load = filepath.Join(dir, "d")
			}
			cfg, diags := config.Load(load)
			if diags.HasErrors() != (cfg == nil) {
				t.Errorf("HasErrors=%v but cfg nil=%v", diags.HasErrors(), cfg == nil)
			}
			if diff := cmp.Diff(strings.ReplaceAll(tt.want, "DIR", dir), diags.String()); diff != "" {
				t.Errorf("diagnostics (-want +got):\n%s", diff)
			}
		})
	}
}

// TestIncludeBounds: each included file is held to the loader's bounds, and all of them
// together to the total size and the diagnostic cap.
func TestIncludeBounds(t *testing.T) {
	deep := "global {\n  router_id = " + strings.Repeat("[", 70) + strings.Repeat("]", 70) + "\n}\n"
	var errsA, errsB strings.Builder
	for i := 0; i < 40; i++ {
		fmt.Fprintf(&errsA, "vrrp_script \"a%d\" {\n  nope = 1\n}\n", i)
		fmt.Fprintf(&errsB, "vrrp_script \"b%d\" {\n  nope = 1\n}\n", i)
	}
	syntax := strings.Repeat("x = = =\n", 60)
	big := strings.Repeat("# padding\n", 100)
	tests := []struct {
		name  string
		files map[string]string
		lim   config.Limits
		want  []string // substrings of the diagnostics, in order
		count int      // the diagnostics' number, when not 0
	}{
		{"nesting in an included file", map[string]string{"main.hcl": "include = [\"a.hcl\"]\n", "a.hcl": deep},
			config.Limits{}, []string{"DIR/a.hcl:2:", "nesting deeper than 64 levels"}, 1},
		{"an included file over the size limit", map[string]string{"main.hcl": "include = [\"a.hcl\"]\n", "a.hcl": big},
			config.Limits{MaxSize: 500}, []string{"DIR/main.hcl:1:12: error: include DIR/a.hcl: file too large: more than 500 bytes"}, 1},
		{"the files together over the total", map[string]string{"main.hcl": "include = [\"*.inc\"]\n",
			"1.inc": big[:900], "2.inc": big[:900], "3.inc": big[:900], "4.inc": big[:900], "5.inc": big[:900]},
			config.Limits{MaxSize: 1000}, []string{"DIR/main.hcl:1:12: error: include DIR/5.inc: file too large: the files of the configuration hold more than 4000 bytes together"}, 1},
		{"the diagnostics of all the files capped together", map[string]string{"main.hcl": "include = [\"a.hcl\", \"b.hcl\"]\n",
			"a.hcl": errsA.String(), "b.hcl": errsB.String()},
			config.Limits{}, []string{"DIR/a.hcl:1:1: error: vrrp_script \"a0\" needs script", "DIR/a.hcl:74:3:", "DIR/main.hcl: error: and 110 more (only the first 50 are shown)"}, 51},
		{"syntax errors: the next file is not read once the cap is reached", map[string]string{"main.hcl": "include = [\"a.hcl\", \"b.hcl\"]\n",
			"a.hcl": syntax, "b.hcl": syntax},
			config.Limits{}, []string{"DIR/a.hcl:1:5: error: Invalid expression", "DIR/main.hcl: error: and 10 more (only the first 50 are shown)"}, 51},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := writeTree(t, tt.files)
			cfg, diags := config.LoadWith(filepath.Join(dir, "main.hcl"), tt.lim)
			if cfg != nil {
				t.Fatalf("a config despite the bound")
			}
			got := diags.String()
			rest := got
			for _, w := range tt.want {
				w = strings.ReplaceAll(w, "DIR", dir)
				i := strings.Index(rest, w)
				if i < 0 {
					t.Fatalf("diagnostics lack %q (in order):\n%s", w, got)
				}
				rest = rest[i+len(w):]
			}
			if strings.Contains(got, "b.hcl") && strings.Contains(tt.name, "not read") {
				t.Errorf("b.hcl was read after the cap:\n%s", got)
			}
			if tt.count > 0 && len(diags) != tt.count {
				t.Errorf("%d diagnostics, want %d:\n%s", len(diags), tt.count, got)
			}
		})
	}
}

// TestIncludeRefusesSpecialFiles: a FIFO matched by an include's pattern is refused by
// name, without blocking.
func TestIncludeRefusesSpecialFiles(t *testing.T) {
	dir := writeTree(t, map[string]string{"main.hcl": incGlobal + "include = [\"conf.d/*.hcl\"]\n"})
	if err := os.Mkdir(filepath.Join(dir, "conf.d"), 0o755); err != nil {
		t.Fatal(err)
	}
	fifo := filepath.Join(dir, "conf.d", "a.hcl")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	_, diags := config.Load(filepath.Join(dir, "main.hcl"))
	want := fmt.Sprintf("%s:4:12: error: include %s: not a regular file (a FIFO)\n", filepath.Join(dir, "main.hcl"), fifo)
	if diff := cmp.Diff(want, diags.String()); diff != "" {
		t.Errorf("diagnostics (-want +got):\n%s", diff)
	}
}

// TestParseRefusesInclude: Parse has no files to read; it says so instead of reading
// whatever lies around the working directory.
func TestParseRefusesInclude(t *testing.T) {
	_, diags := config.Parse([]byte(incGlobal+"include = [\"*.go\"]\n"), "t.hcl")
	want := "t.hcl:4:1: error: include reads files from disk: load t.hcl from a file (halvs check -c FILE) to use it\n"
	if diff := cmp.Diff(want, diags.String()); diff != "" {
		t.Errorf("diagnostics (-want +got):\n%s", diff)
	}
}

// TestKeepalivedSyntax: a keepalived.conf given to the HCL loader is named as such in one
// diagnostic; HCL that merely resembles it is parsed as HCL.
func TestKeepalivedSyntax(t *testing.T) {
	const hint = "not halvs' HCL; convert it first: halvs convert t.conf"
	tests := []struct {
		name, src string
		want      string // "" when the file is HCL: any diagnostic but the hint
	}{
		{"global_defs", "! Configuration File for keepalived\n\nglobal_defs {\n  router_id A\n}\n", "t.conf:3:1: error: this is keepalived.conf syntax (\"global_defs {\"), " + hint},
		{"after # and /* */ comments", "# x\n/* y\n z */\nvrrp_instance VI_1 {\n  state MASTER\n}\n", "t.conf:4:1: error: this is keepalived.conf syntax (\"vrrp_instance VI_1 {\"), " + hint},
		{"brace on the next line", "vrrp_script chk\n{\n  script \"/bin/true\"\n}\n", "t.conf:1:1: error: this is keepalived.conf syntax (\"vrrp_script chk\"), " + hint},
		{"virtual_server ADDR PORT", "virtual_server 10.0.0.1 80 {\n}\n", "t.conf:1:1: error: this is keepalived.conf syntax (\"virtual_server 10.0.0.1 80 {\"), " + hint},
		{"virtual_server fwmark N", "virtual_server fwmark 1 {\n}\n", "t.conf:1:1: error: this is keepalived.conf syntax (\"virtual_server fwmark 1 {\"), " + hint},
		{"include FILE", "include /etc/keepalived/conf.d/*.conf\n", "t.conf:1:1: error: this is keepalived.conf syntax (\"include /etc/keepalived/conf.d/*.conf\"), " + hint},
		{"a parameter", "$IF=eth0\n", "t.conf:1:1: error: this is keepalived.conf syntax (\"$IF=eth0\"), " + hint},
		{"HCL with an unquoted label", "vrrp_script chk {\n  script = \"/bin/true\"\n}\n", "-"},
		{"HCL with an unquoted label, brace below", "vrrp_script chk\n{\n  script = \"/bin/true\"\n}\n", ""},
		{"HCL", incGlobal + incScript, "-"},
		{"HCL include", "include = [\"a.hcl\"]\n", ""},
		{"unknown word", "router_id R1\n", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, diags := config.Parse([]byte(tt.src), "t.conf")
			got := diags.String()
			switch tt.want {
			case "-":
				if len(diags) > 0 {
					t.Errorf("valid HCL refused:\n%s", got)
				}
			case "":
				if strings.Contains(got, "keepalived.conf syntax") {
					t.Errorf("HCL taken for keepalived.conf:\n%s", got)
				}
			default:
				if diff := cmp.Diff(tt.want+"\n", got); diff != "" {
					t.Errorf("diagnostics (-want +got):\n%s", diff)
				}
			}
		})
	}
}

// TestIncludeChunkedParse: a main file large enough to be parsed in chunks places the
// included blocks where its include stands, as the one-piece parse does.
func TestIncludeChunkedParse(t *testing.T) {
	var before, after strings.Builder
	for i := 0; i < 60; i++ {
		fmt.Fprintf(&before, "vrrp_script \"a%d\" {\n  script = \"/bin/true %d\"\n}\n", i, i)
		fmt.Fprintf(&after, "vrrp_script \"c%d\" {\n  script = \"/bin/true %d\"\n}\n", i, i)
	}
	dir := writeTree(t, map[string]string{
		"main.hcl": before.String() + "include = [\"b.hcl\"]\n" + after.String(),
		"b.hcl":    "vrrp_script \"b\" {\n  script = \"/bin/true\"\n}\n",
	})
	whole, diags := config.Load(filepath.Join(dir, "main.hcl"))
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	// Every item is far below 200 tokens; the file is not, so it is parsed in chunks.
	chunked, diags := config.LoadWith(filepath.Join(dir, "main.hcl"), config.Limits{MaxItemTokens: 200})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	if diff := cmp.Diff(whole, chunked, configtest.IgnorePositions()); diff != "" {
		t.Errorf("chunked parse (-whole +chunked):\n%s", diff)
	}
	if got := chunked.VRRPScripts[60].Name; got != "b" {
		t.Errorf("script 60 is %q, want the included b", got)
	}
}

// TestIncludeTopLevelSetting: a top-level setting in an included file counts as the main
// file's, as convert -o writes it where its keepalived file had it.
func TestIncludeTopLevelSetting(t *testing.T) {
	const setting = "interface_up_down_delays = [\"eth0 2 1\"]\n"
	dir := writeTree(t, map[string]string{
		"flat.hcl": incGlobal + setting,
		"main.hcl": incGlobal + "include = [\"a.hcl\"]\n",
		"a.hcl":    setting,
	})
	want, diags := config.Load(filepath.Join(dir, "flat.hcl"))
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	got, diags := config.Load(filepath.Join(dir, "main.hcl"))
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	if len(want.InterfaceDelays) != 1 {
		t.Fatalf("the flat file has %d interface delays, want 1", len(want.InterfaceDelays))
	}
	if diff := cmp.Diff(want, got, configtest.IgnorePositions()); diff != "" {
		t.Errorf("config (-flat +included):\n%s", diff)
	}
}
