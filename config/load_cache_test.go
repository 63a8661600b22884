package config

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// scaleHCL is n virtual servers of 8 real servers each at weight 1, but for real server
// (vs, rs) at weight w; above cacheMinSize from a few hundred services.
func scaleHCL(n, vs, rs, w int, extra string) []byte {
	var b strings.Builder
	b.WriteString("global {\n  router_id = \"CACHE\"\n}\n")
	for i := range n {
		fmt.Fprintf(&b, "\nvirtual_server \"10.1.%d.%d:80\" {\n  lb_algo  = \"wrr\"\n  lb_kind  = \"DR\"\n  protocol = \"TCP\"\n", i>>8, i&255)
		if i == n/2 {
			b.WriteString(extra)
		}
		for j := range 8 {
			weight := 1
			if i == vs && j == rs {
				weight = w
			}
			fmt.Fprintf(&b, "  real_server \"10.%d.%d.%d:80\" {\n    weight = %d\n  }\n", 2+j, i>>8, i&255, weight)
		}
		b.WriteString("}\n")
	}
	return []byte(b.String())
}

// parsed is the body of src as a load parses it, under the file name name.
func parsed(t *testing.T, src []byte, name string) *hclsyntax.Body {
	t.Helper()
	scan := prescan(src, name, Limits{})
	body, diags, _ := parseBody(src, name, scan, Limits{})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	return body
}

// TestChunkCache: a load of a large file reuses the syntax trees of the chunks that are the
// same, at the same place, as at its previous load, and gives the body a parse from scratch
// gives.
func TestChunkCache(t *testing.T) {
	const n = 800
	base := scaleHCL(n, -1, 0, 0, "")
	t.Run("small file: not kept", func(t *testing.T) {
		name := "/cache-test/small.hcl"
		src := scaleHCL(10, -1, 0, 0, "")
		if a, b := parsed(t, src, name), parsed(t, src, name); a.Blocks[1] == b.Blocks[1] {
			t.Error("a small file's chunk was reused")
		}
	})
	if len(base) < cacheMinSize {
		t.Fatalf("the test's file is %d bytes, under the cache's %d", len(base), cacheMinSize)
	}
	tests := []struct {
		name string
		next []byte
		// wantReused says, for top-level block i, whether it is the previous load's.
		wantReused func(i int) bool
	}{
		{"same file", base, func(int) bool { return true }},
		{"one weight changed in place", scaleHCL(n, 300, 5, 2, ""), func(i int) bool { return i < 280 || i > 320 }},
		{"a line added: what follows is parsed again", scaleHCL(n, -1, 0, 0, "  delay_loop = 5\n"), func(i int) bool { return i < n/2-20 }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			name := "/cache-test/" + tc.name + ".hcl"
			first := parsed(t, base, name)
			got := parsed(t, tc.next, name)
			fresh := parsed(t, tc.next, "/cache-test/fresh/"+tc.name+".hcl")
			if len(got.Blocks) != n+1 || len(first.Blocks) != n+1 {
				t.Fatalf("%d and %d blocks, want %d", len(first.Blocks), len(got.Blocks), n+1)
			}
			reused := 0
			for i := range got.Blocks {
				same := got.Blocks[i] == first.Blocks[i]
				if same {
					reused++
				}
				if same != tc.wantReused(i) && (i < n/2-40 || i > n/2+40) && (i < 260 || i > 340) {
					// Chunks hold a few blocks each: near the change, either is right.
					t.Errorf("block %d: reused %v, want %v", i, same, tc.wantReused(i))
				}
			}
			if reused == 0 {
				t.Error("no block was reused")
			}
			// What the decoder makes of the reused trees is what it makes of fresh ones.
			weights := func(name string) [][]int {
				cfg, diags := parse(tc.next, name, Limits{}, false)
				if diags.HasErrors() {
					t.Fatal(diags)
				}
				var out [][]int
				for _, vs := range cfg.VirtualServers {
					var ws []int
					for _, rs := range vs.RealServers {
						ws = append(ws, rs.Weight)
					}
					out = append(out, ws)
				}
				return out
			}
			if diff := cmp.Diff(weights("/cache-test/decoded.hcl"), weights(name)); diff != "" {
				t.Errorf("weights decoded from reused chunks (-fresh +reused):\n%s", diff)
			}
			// Same trees, positions included, as a parse from scratch (file name aside).
			for i := range got.Blocks {
				g, f := got.Blocks[i], fresh.Blocks[i]
				if g.DefRange().Start != f.DefRange().Start || g.Body.SrcRange.End != f.Body.SrcRange.End {
					t.Fatalf("block %d at %v-%v, from scratch %v-%v", i, g.DefRange().Start, g.Body.SrcRange.End,
						f.DefRange().Start, f.Body.SrcRange.End)
				}
			}
		})
	}
}
