package config

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// nested is s wrapped in n pairs of open and close.
func nested(n int, open, close, s string) string {
	return strings.Repeat(open, n) + s + strings.Repeat(close, n)
}

// TestPrescanDepth: what counts as nesting and what does not, at a limit of 4.
func TestPrescanDepth(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want string // the first diagnostic, "" for none
	}{
		{"brackets at the limit", "x = [[[[1]]]]\n", ""},
		{"brackets over", "x = [[[[[1]]]]]\n", "t.hcl:1:9: error: nesting deeper than 4 levels"},
		{"blocks and brackets", "a {\n  b {\n    x = [[1]]\n  }\n}\n", ""},
		{"blocks and brackets over", "a {\n  b {\n    x = [[[1]]]\n  }\n}\n", "t.hcl:3:11: error: nesting deeper"},
		{"parentheses over", "x = (((((1)))))\n", "t.hcl:1:9: error: nesting deeper"},
		{"braces in a string", `x = "{{{{{{[[[[[["` + "\n", ""},
		{"escaped quote in a string", `x = "\"{{{{{{"` + "\n", ""},
		{"braces in comments", "# {{{{{{\n// [[[[[[\n/* ((((((\n{{{{{ */\nx = 1\n", ""},
		{"braces in a heredoc", "x = <<EOT\n{{{{{{\n[[[[[[\nEOT\n", ""},
		{"braces in an indented heredoc", "a {\n  x = <<-EOT\n    {{{{{{\n    EOT\n}\n", ""},
		{"marker inside a heredoc line", "x = <<EOT\nEOT x {{{{{{\nEOT\n", ""},
		{"code after a heredoc", "x = <<EOT\nEOT\ny = [[[[[1]]]]]\n", "t.hcl:3:9: error: nesting deeper"},
		{"literal $${ in a string", `x = "$${[[[[[[[}"` + "\n", ""},
		{"interpolations count", `x = "${"${"${1}"}"}"` + "\n", "t.hcl:1:11: error: nesting deeper"},
		{"interpolation in a heredoc", "x = <<EOT\n${[[[[1]]]]}\nEOT\n", "t.hcl:2:5: error: nesting deeper"},
		{"mismatched closer keeps counting", "x = [[[}\ny = [[1]]\n", "t.hcl:2:6: error: nesting deeper"},
		{"unclosed string", "x = \"[[[[[[\n", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			scan := prescan([]byte(tt.src), "t.hcl", Limits{MaxDepth: 4})
			got := ""
			if len(scan.diags) > 0 {
				got = scan.diags[0].String()
			}
			if tt.want == "" && got != "" || !strings.HasPrefix(got, tt.want) {
				t.Errorf("first diagnostic (-want +got):\n%s", cmp.Diff(tt.want, got))
			}
			if scan.fatal != (tt.want != "") {
				t.Errorf("fatal = %v, want %v", scan.fatal, tt.want != "")
			}
		})
	}
}

// TestPrescanDeepNesting is the stack overflow's input: refused at the first level too deep,
// whatever kind of bracket.
func TestPrescanDeepNesting(t *testing.T) {
	// global's brace is level 1; a "${ is two levels, a string and an interpolation.
	for _, tt := range []struct {
		open, close string
		col         int
	}{{"[", "]", 15 + 63}, {"(", ")", 15 + 63}, {"{", "}", 15 + 63}, {`"${`, `}"`, 15 + 31*3 + 1}} {
		src := "global {\n  router_id = " + nested(100_000, tt.open, tt.close, "1") + "\n}\n"
		_, diags := Parse([]byte(src), "n.hcl")
		want := fmt.Sprintf("n.hcl:2:%d: error: nesting deeper than 64 levels", tt.col)
		if len(diags) != 1 || !strings.HasPrefix(diags[0].String(), want) {
			t.Errorf("%s: diagnostics %q, want one starting %q", tt.open, diags.String(), want)
		}
	}
}

// TestPrescanAcceptsRealConfigs: no configuration the project knows is refused by the
// pre-scan, and none of them comes near a limit.
func TestPrescanAcceptsRealConfigs(t *testing.T) {
	sources := parseSources(t)
	more, _ := filepath.Glob("../cmd/halvs/testdata/*.hcl")
	for _, p := range more {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		sources[p] = b
	}
	sources["2,000 x 16 table"] = []byte(lvsTableSource(2000, 16))
	for name, src := range sources {
		scan := prescan(src, name, Limits{MaxDepth: 8, MaxItemTokens: 20_000})
		if scan.fatal || len(scan.diags) > 0 {
			t.Errorf("%s: refused by the pre-scan at a fraction of the limits:\n%s", name, scan.diags)
		}
	}
}

// TestPrescanInvalidCharacters: a few invalid characters are left to hclsyntax (its own
// messages); a file full of them is refused by the pre-scan, with the list capped.
func TestPrescanInvalidCharacters(t *testing.T) {
	few := prescan([]byte("x = @@@\n"), "t.hcl", Limits{})
	if few.fatal {
		t.Errorf("3 invalid characters refused by the pre-scan: %s", few.diags)
	}
	_, diags := Parse([]byte("x = @@@\n"), "t.hcl")
	if !strings.Contains(diags.String(), "t.hcl:1:5: error: Invalid character") {
		t.Errorf("hclsyntax's diagnostic missing:\n%s", diags)
	}
	in := "global {\n  router_id = \"@$\\\\\" # @@@\n}\n" + strings.Repeat("@", 1000)
	_, diags = Parse([]byte(in), "t.hcl")
	if got, want := len(diags), DefaultMaxErrors+1; got != want {
		t.Fatalf("%d diagnostics, want %d:\n%s", got, want, diags)
	}
	if got, want := diags[0].String(), "t.hcl:4:1: error: Invalid character"; !strings.HasPrefix(got, want) {
		t.Errorf("first diagnostic %q, want %q...", got, want)
	}
	if got, want := diags[len(diags)-1].String(), "t.hcl: error: and 950 more (only the first 50 are shown)"; got != want {
		t.Errorf("last diagnostic %q, want %q", got, want)
	}
}
