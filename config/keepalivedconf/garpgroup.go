package keepalivedconf

import "github.com/hashicorp/hcl/v2/hclwrite"

// garp_group is a top-level block in keepalived and a block of global in halvs, with the
// same keywords; "interfaces { eth0 eth1 }" becomes a list.
var garpGroupSpec = map[string]conv{
	"garp_interval": duration("garp_interval"),
	"gna_interval":  duration("gna_interval"),
	"interface":     str("interface"),
	"interfaces":    eachWord("interfaces"),
}

// garpGroup converts a garp_group into global, which it opens when no global_defs came yet.
func (c *converter) garpGroup(root *hclwrite.Body, n *Node) {
	if !c.needBlock(n) {
		return
	}
	if c.global == nil {
		if len(root.Blocks()) > 0 {
			root.AppendNewline()
		}
		c.global = newOut(root.AppendNewBlock("global", nil).Body(), "global")
	}
	c.comment(c.global.body, n)
	sub("garp_group", garpGroupSpec, true)(c, c.global, n)
}
