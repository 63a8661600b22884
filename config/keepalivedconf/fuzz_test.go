package keepalivedconf

import (
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// FuzzRead feeds arbitrary text to the reader. It must never panic or run away, an error
// must come with no statements, and every statement must carry a position and a keyword.
// Whatever is read is also converted: the HCL written must always be valid HCL syntax.
// Includes resolve in a small in-memory tree, so the fuzzer can reach them without touching
// the disk.
func FuzzRead(f *testing.F) {
	for _, seed := range []string{
		"global_defs {\n router_id X\n}\n",
		"vrrp_instance VI_1 {\n state MASTER\n virtual_ipaddress {\n 10.0.0.1/24 dev eth0\n }\n}\n",
		"$A=1\n$B= \\\n x ${A} \\\n y $A\n$B\n",
		"~SEQ(A, 0, 3) ~LST({B, C}, {1,2},{3}) v ${A}.${B}.${C}\n",
		"~SEQx(A, 0x10, 0x10, 0x40) fe80::${A}\n",
		"include inc/*.conf\nincluder {a,b}.conf\n",
		"@main a 1\n@^main b 2\n a \"b c\" d\\#e # f\n",
		"a ${_RANDOM 1 3} ${_ENV IFACE} ${_PWD} ${_HASH}\n",
		"notify \"/bin/x 'a b' \\\"c\\\"\" root\n",
		"a { b { c } } }\n{\n",
		"virtual_server 2001:db8::1 80 {\n real_server \"a\\\"b\" 80 {\n HTTP_GET {\n url { path / }\n }\n }\n}\n",
		"vrrp_instance \"${x}\" { virtual_ipaddress { 10.0.0.1 dev eth0 preferred_lft 0 } no_accept }\n",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, src string) {
		opts := memOptions(map[string]string{
			"inc/one.conf": "one 1\n",
			"a.conf":       "$A=from_a\n",
			"b.conf":       "b { $A }\n",
			"loop.conf":    "include loop.conf\n",
		})
		opts.MaxLines = 5000
		nodes, diags := Read("k.conf", []byte(src), opts)
		if diags.HasErrors() && nodes != nil {
			t.Fatalf("statements returned with errors: %v", diags)
		}
		var walk func([]*Node)
		walk = func(ns []*Node) {
			for _, n := range ns {
				if n.Pos.File == "" || n.Pos.Line < 1 || len(n.Words) == 0 {
					t.Fatalf("malformed statement %v", n)
				}
				if !n.HasBlock && len(n.Block) > 0 {
					t.Fatalf("statement %v has children without a block", n)
				}
				walk(n.Block)
			}
		}
		walk(nodes)
		for _, d := range diags {
			if !strings.Contains(d.String(), ": ") {
				t.Fatalf("diagnostic without position: %q", d)
			}
		}
		if diags.HasErrors() {
			return
		}
		out, _ := Convert(nodes)
		if _, hds := hclsyntax.ParseConfig(out, "out.hcl", hcl.InitialPos); hds.HasErrors() {
			t.Fatalf("converted output is not valid HCL: %v\n%s", hds, out)
		}
	})
}
