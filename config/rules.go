package config

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// The kernel's rule actions (FR_ACT_*).
const (
	ruleToTable     = 1
	ruleGoto        = 2
	ruleNop         = 3
	ruleBlackhole   = 6
	ruleUnreachable = 7
	ruleProhibit    = 8
)

var ruleActions = map[string]uint8{"nop": ruleNop, "blackhole": ruleBlackhole, "unreachable": ruleUnreachable, "prohibit": ruleProhibit}

var ruleWords = []string{"inet", "inet6", "from", "to", "table", "lookup", "not", "preference", "priority", "order",
	"tos", "fwmark", "realms", "suppress_prefixlength", "suppress_ifgroup", "iif", "oif", "dev", "uidrange",
	"protocol", "ipproto", "sport", "dport", "no_track", "goto", "nop", "blackhole", "unreachable", "prohibit", "type"}

// parseRule parses one rule entry as keepalived's alloc_rule reads it. hasPref reports
// whether the entry gave a preference (the caller numbers those without, as keepalived).
func parseRule(s string, warn func(string)) (r Rule, hasPref bool, err error) {
	t := &tokens{f: strings.Fields(s)}
	var fam family
	var from, to string
	tableOption := ""
	setAction := func(a uint8) error {
		if r.Action != 0 {
			return errors.New("more than one of table, goto, nop, blackhole, unreachable and prohibit")
		}
		r.Action = a
		return nil
	}
	for t.more() {
		w := t.next()
		var v string
		switch w {
		case "inet", "inet6":
			err = fam.add(w == "inet6")
		case "from", "to":
			if v, err = t.value(w); err == nil && v != "all" {
				var p = v
				if w == "from" {
					from = p
				} else {
					to = p
				}
				var q, perr = parsePrefixOrAddr(p)
				if perr != nil {
					err = fmt.Errorf("%s: %v", w, perr)
				} else {
					err = fam.add(q.Addr().Is6())
				}
			}
		case "table", "lookup":
			if r.Table, err = namedValue(t, w, routeTables, 1<<32-1, "table"); err == nil && r.Table == 0 {
				err = errors.New("table 0 is not a routing table")
			}
			if err == nil {
				err = setAction(ruleToTable)
			}
		case "not":
			r.Not = true
		case "preference", "priority", "order":
			r.Priority, err = numValue[uint32](t, w, 1<<32-1)
			hasPref = true
		case "tos", "dsfield":
			r.Tos, err = namedValue(t, w, map[string]uint8{}, 255, "TOS")
		case "fwmark":
			if v, err = t.value(w); err == nil {
				err = r.fwmark(v)
			}
		case "realms":
			if v, err = t.value(w); err == nil {
				r.Realms, err = realms(v)
			}
			if err == nil {
				err = fam.add(false)
			}
			tableOption = w
		case "suppress_prefixlength", "sup_pl":
			var n uint32
			n, err = numValue[uint32](t, w, 128)
			r.SuppressPrefixLen, r.HasSuppressPrefixLen, tableOption = n, true, w
		case "suppress_ifgroup", "sup_group":
			var n uint32
			n, err = numValue[uint32](t, w, 1<<31-1)
			r.SuppressIfgroup, r.HasSuppressIfgroup, tableOption = n, true, w
		case "dev", "iif":
			r.Iif, err = ifValue(t, w)
		case "oif":
			r.Oif, err = ifValue(t, w)
		case "uidrange":
			if v, err = t.value(w); err == nil {
				err = r.uidRange(v)
			}
		case "protocol":
			r.Protocol, err = namedValue(t, w, routeProtos, 255, "protocol")
		case "ipproto":
			r.IPProto, err = namedValue(t, w, ipProtos, 255, "IP protocol")
		case "sport", "dport":
			var pr [2]uint16
			if v, err = t.value(w); err == nil {
				pr, err = portRange(w, v)
			}
			if w == "sport" {
				r.Sport = pr
			} else {
				r.Dport = pr
			}
		case "no_track":
			r.NoTrack = true
		case "tunnel-id":
			return Rule{}, false, errors.New("tunnel-id cannot be expressed through the netlink library halvs uses (it sends 32 bits where the kernel wants 64)")
		case "l3mdev":
			return Rule{}, false, errors.New("l3mdev cannot be expressed through the netlink library halvs uses")
		case "track_group":
			return Rule{}, false, errors.New("track groups are not supported; halvs does not watch interfaces for static rules")
		default:
			if w == "type" {
				if v, err = t.value(w); err != nil {
					break
				}
				w = v
			}
			switch a, ok := ruleActions[w]; {
			case w == "goto":
				var n uint32
				if n, err = numValue[uint32](t, w, 1<<32-1); err == nil {
					r.Goto = n
					err = setAction(ruleGoto)
				}
			case ok:
				err = setAction(a)
			default:
				err = fmt.Errorf("unknown word %q%s", w, suggestValue(w, ruleWords))
			}
		}
		if err != nil {
			return Rule{}, false, err
		}
	}
	r.IPv6 = fam.v6
	if from != "" {
		if r.From, err = routePrefix("from", from, fam.v6); err != nil {
			return Rule{}, false, err
		}
	}
	if to != "" {
		if r.To, err = routePrefix("to", to, fam.v6); err != nil {
			return Rule{}, false, err
		}
	}
	switch {
	case r.Action == 0:
		return Rule{}, false, errors.New("a rule needs an action: table N, goto N, nop, blackhole, unreachable or prohibit")
	case r.Action != ruleToTable && tableOption != "":
		return Rule{}, false, fmt.Errorf("%s applies to a table action only", tableOption)
	case r.Action == ruleGoto && !hasPref:
		return Rule{}, false, errors.New("goto needs the rule's own preference (before the target)")
	case r.Action == ruleGoto && r.Goto <= r.Priority:
		return Rule{}, false, fmt.Errorf("goto %d must be after the rule's preference %d", r.Goto, r.Priority)
	}
	return r, hasPref, nil
}

func (r *Rule) fwmark(v string) error {
	mark, mask, hasMask := strings.Cut(v, "/")
	m, err1 := strconv.ParseUint(mark, 0, 32)
	var k uint64
	var err2 error
	if hasMask {
		k, err2 = strconv.ParseUint(mask, 0, 32)
	}
	if err1 != nil || err2 != nil {
		return fmt.Errorf("fwmark %q is not MARK or MARK/MASK with numbers up to 0xffffffff", v)
	}
	r.FwMark, r.FwMask, r.HasMask = uint32(m), uint32(k), hasMask
	return nil
}

func (r *Rule) uidRange(v string) error {
	a, b, ok := strings.Cut(v, "-")
	x, err1 := strconv.ParseUint(a, 10, 32)
	y, err2 := strconv.ParseUint(b, 10, 32)
	if !ok || err1 != nil || err2 != nil || x > y {
		return fmt.Errorf("uidrange %q is not START-END such as 10000-19999", v)
	}
	r.UIDRange, r.HasUIDRange = [2]uint32{uint32(x), uint32(y)}, true
	return nil
}
