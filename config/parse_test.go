package config

import (
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// Files around the split rule (a line that begins at the top level, outside any construct):
// many hold a line that looks like a split point ("}" then an identifier) inside a heredoc,
// a comment, a string or a bracket, where the pre-scan must not cut; those with an error
// or a top-level attribute are parsed in one piece, with hclsyntax's own errors (wantChunked
// in TestParseBlocksMatchesWholeFile says which are chunked).
var trickySources = map[string]string{
	"heredoc":                 "global {\n  notification_email = <<EOT\n}\nvirtual_server \"x\" {\nEOT\n}\nvrrp_script \"a\" {\n  script = \"x\"\n}\n",
	"indented heredoc":        "vrrp_script \"a\" {\n  script = <<-EOT\n}\nglobal {\n  EOT\n}\nglobal {\n}\n",
	"heredoc template":        "vrrp_script \"a\" {\n  script = <<EOT\n%{ if true }\n}\nx {\n%{ endif }\nEOT\n}\ny {\n}\n",
	"block comment":           "global {\n}\n/*\n}\nvirtual_server \"x\" {\n*/\nvrrp_script \"a\" {\n}\n",
	"comment in block":        "global {\n/*\n}\nvrrp_script \"a\" {\n*/\n}\nvrrp_script \"b\" {\n}\n",
	"braces in string":        "global {\n  router_id = \"}\"\n}\nvrrp_script \"{\" {\n  script = \"{ }\"\n}\n",
	"interpolation":           "global {\n  router_id = \"${\n}\nvrrp_script \"a\" {\n}\"\n}\nglobal {\n}\n",
	"object value":            "global {\n  x = {\n}\nvrrp_script \"a\" {\n}\n}\nglobal {\n}\n",
	"tuple value":             "global {\n  x = [\n}\nvrrp_script \"a\" {\n]\n}\nglobal {\n}\n",
	"parenthesis":             "global {\n  x = (\n}\nvrrp_script \"a\" {\n)\n}\nglobal {\n}\n",
	"for expression":          "global {\n  x = [for a in b:\n}\nvrrp_script \"a\" {\n]\n}\nglobal {\n}\n",
	"unclosed block":          "global {\n  x = 1\n}\nvrrp_script \"a\" {\n  y = 2\n",
	"nested block":            "virtual_server \"10.0.0.1:80\" {\n  real_server \"10.0.0.2:80\" {\n}\nreal_server \"10.0.0.3:80\" {\n  }\n}\nglobal {\n}\n",
	"top attribute":           "global {\n}\nx = 1\nglobal {\n}\nx = 2\n",
	"duplicate top attribute": "x = {\n}\nx = {\n}\n",
	"crlf":                    "global {\r\n}\r\nvrrp_script \"a\" {\r\n}\r\n",
	"no final newline":        "global {\n}\nvrrp_script \"a\" {\n  script = \"x\"\n}",
	"heredoc at top level":    "x = <<EOT\n}\ny {\nEOT\nglobal {\n}\n",
	"interpolated braces":     "global {\n  router_id = \"${\"}\"}{\"\n}\nglobal {\n}\n",
	"escaped template":        "global {\n  router_id = \"$${ %%{ \\\" {\"\n}\nglobal {\n}\n",
	"leading comments":        "# one\n// two\n/* three */\nglobal {\n}\n\n\n# between\nvrrp_script \"a\" {\n}\n\nvrrp_script \"b\" {\n}\n",
	"syntax error late":       "global {\n}\nvrrp_script \"a\" {\n  script = \n}\n",
	"bom":                     "\ufeffglobal {\n}\nvrrp_script \"a\" {\n}\n",
	"unicode":                 "global {\n  router_id = \"héllo wörld ✓\"\n}\nvrrp_script \"ü\" {\n  script = \"日本\"\n}\n",
	"trailing space":          "global {\n} \nvrrp_script \"a\" {\n}\n",
	"one block":               "global {\n  router_id = \"a\"\n}\n",
	"empty":                   "",
}

// parseSources is every configuration the package's tests know: the seed examples, the
// test files, the benchmark's table and the tricky sources above.
func parseSources(t testing.TB) map[string][]byte {
	out := map[string][]byte{"lvs table": []byte(lvsTableSource(30, 3))}
	for name, s := range trickySources {
		out[name] = []byte(s)
	}
	paths, _ := filepath.Glob("../examples/seed/*.hcl")
	more, _ := filepath.Glob("testdata/*.hcl")
	for _, p := range append(paths, more...) {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		out[p] = b
	}
	return out
}

// lvsTableSource is the shape of the LVS benchmark's table (load_bench_test.go).
func lvsTableSource(services, perService int) string {
	var b strings.Builder
	b.WriteString("global {\n  router_id = \"LVS_BENCH\"\n}\n")
	for i := range services {
		b.WriteString("\nvirtual_server \"10.1.0." + itoa(i) + ":80\" {\n  lb_algo = \"wrr\"\n")
		for j := range perService {
			b.WriteString("  real_server \"10.2." + itoa(j) + "." + itoa(i) + ":80\" {\n    weight = " + itoa(1+j) + "\n  }\n")
		}
		b.WriteString("}\n")
	}
	return b.String()
}

func itoa(i int) string { return strconv.Itoa(i) }

// checkParseBlocks is the property every input must have: either parseBlocks declines, or
// hclsyntax finds no diagnostic in the whole file and the same body, positions included.
func checkParseBlocks(t *testing.T, src []byte) (chunked bool) {
	t.Helper()
	scan := prescanChunks(src, "t.hcl", Limits{}, 1)
	if scan.fatal {
		return false
	}
	got, cdiags, _, whole := parseChunks(src, "t.hcl", scan, Limits{})
	if whole || len(cdiags) > 0 || len(scan.bounds) == 0 {
		return false
	}
	f, diags := hclsyntax.ParseConfig(src, "t.hcl", hcl.InitialPos)
	if len(diags) > 0 {
		t.Fatalf("parsed in chunks, but the whole file has diagnostics: %v\n%s", diags, src)
	}
	if want := f.Body.(*hclsyntax.Body); !reflect.DeepEqual(want, got) {
		t.Fatalf("chunked body differs from the whole file's:\n%s", cmp.Diff(dumpBody(want), dumpBody(got)))
	}
	return true
}

// dumpBody lists a body's blocks with their ranges, for a readable difference.
func dumpBody(b *hclsyntax.Body) []string {
	out := []string{"body " + b.SrcRange.String() + " end " + b.EndRange.String()}
	for _, blk := range b.Blocks {
		out = append(out, blk.Type+" "+strings.Join(blk.Labels, ",")+" "+blk.Range().String())
	}
	return out
}

func TestParseBlocksMatchesWholeFile(t *testing.T) {
	// Whether each file is parsed in chunks; every other tricky source must not be.
	wantChunked := map[string]bool{
		"lvs table": true, "../examples/seed/director-a.hcl": true, "../examples/seed/director-b.hcl": true,
		"braces in string": true, "leading comments": true, "no final newline": true, "bom": true, "unicode": true,
		"heredoc": true, "indented heredoc": true, "heredoc template": true, "block comment": true,
		"comment in block": true, "object value": true, "nested block": true, "crlf": true,
		"trailing space": true, "one block": true, "escaped template": true, "interpolated braces": true,
	}
	for name, src := range parseSources(t) {
		t.Run(name, func(t *testing.T) {
			chunked := checkParseBlocks(t, src)
			if _, tricky := trickySources[name]; (tricky || wantChunked[name]) && chunked != wantChunked[name] {
				t.Errorf("parsed in chunks: %v, want %v", chunked, wantChunked[name])
			}
		})
	}
}

// Every split a tricky source offers lies inside a construct, and the chunk before it ends
// with that construct open: hclsyntax must report it, which is what sends such a file
// through in one piece.
func TestOpenConstructAtEndIsAnError(t *testing.T) {
	for _, src := range []string{
		"a {\n", "a {\n  b = {\n", "a {\n  b = [\n", "a {\n  b = (\n", "b = [for x in y:\n",
		"b = <<EOT\n}\n", "b = <<-EOT\n}\n", "a {\n  b = <<EOT\n  %{ if true }\n}\n",
		"/*\n}\n", "a {\n/*\n}\n", "b = \"${\n}\n", "b = \"x\n", "b = \"${x}\n",
	} {
		_, diags := hclsyntax.ParseConfig([]byte(src), "t.hcl", hcl.InitialPos)
		if !diags.HasErrors() {
			t.Errorf("%q: no error at the end of the input", src)
		}
	}
}

// Parse's diagnostics for a file that cannot be split are hclsyntax's, at the same places.
func TestParseChunkedErrorsUnchanged(t *testing.T) {
	for name, src := range trickySources {
		_, hds := hclsyntax.ParseConfig([]byte(src), "t.hcl", hcl.InitialPos)
		if !hds.HasErrors() {
			continue
		}
		_, diags, _ := parseBody([]byte(src), "t.hcl", prescan([]byte(src), "t.hcl", Limits{}), Limits{})
		want, got := fromHCL(hds), fromHCL(diags)
		if diff := cmp.Diff(want.String(), got.String()); diff != "" {
			t.Errorf("%s: diagnostics (-want +got):\n%s", name, diff)
		}
	}
}

// FuzzParseBlocks: for any input, a chunked parse is the whole file's parse or is declined.
func FuzzParseBlocks(f *testing.F) {
	for _, src := range parseSources(f) {
		f.Add(src)
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		checkParseBlocks(t, src)
	})
}
