package keepalivedconf

import "github.com/zclconf/go-cty/cty"

// lvsFlush converts "lvs_flush": keepalived empties the whole IPVS table at start. halvs
// removes only services it owns, so the keyword is written (halvs check warns) and its loss
// named: what another program or an earlier configuration left stays.
func lvsFlush(c *converter, o *out, n *Node) {
	c.extra(n, 0)
	c.setAttr(o, n, "lvs_flush", cty.True)
	c.lose(n, "IPVS services this configuration does not name (left by ipvsadm, another program or an earlier configuration) stay in the table when halvs starts",
		"lvs_flush in global kept, but halvs does not empty the IPVS table: it removes only the services it owns")
}

// lvsFlushOnStop converts "lvs_flush_onstop [VS]" (or lvs_flush_on_stop). With VS keepalived
// removes its own virtual servers at stop, which halvs does anyway; without, the whole table,
// which halvs does not.
func lvsFlushOnStop(c *converter, o *out, n *Node) {
	a := n.Args()
	if prev, ok := o.set["lvs_flush_onstop"]; ok && (len(a) == 0 || a[0] == "VS") {
		c.dropLoss(prev) // keepalived keeps the last: an earlier one's loss is no longer
	}
	switch {
	case len(a) == 0:
		c.setAttr(o, n, "lvs_flush_onstop", cty.True)
		c.lose(n, "IPVS services this configuration does not name stay in the table when halvs stops",
			"%s in global kept, but halvs does not empty the IPVS table at stop: it removes only the services it owns, as with %s VS", n.Keyword(), n.Keyword())
	case a[0] == "VS":
		c.extra(n, 1)
		c.setAttr(o, n, "lvs_flush_onstop", cty.StringVal("VS"))
	default:
		c.warn(n, "%s %q left out: keepalived takes no value or VS (and rejects this one too)", n.Keyword(), a[0])
	}
}

// dropLoss removes the loss reported at pos, for a keyword a later one replaces.
func (c *converter) dropLoss(pos Pos) {
	kept := c.diags[:0]
	for _, d := range c.diags {
		if !(d.Loss && d.Pos == pos) {
			kept = append(kept, d)
		}
	}
	c.diags = kept
}
