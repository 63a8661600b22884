package keepalivedconf

import (
	"strconv"
	"strings"

	"github.com/halvs/halvs/internal/cnum"
)

// loop runs a ~SEQ(VAR, start, step, end), ~SEQx(...) or ~LST(...) line: the rest of the
// line is read once per value with $VAR set, as keepalived's add_seq and add_lst do. Loops
// nest: the rest of the line may be another loop.
func (r *reader) loop(line string, pos Pos) {
	if strings.HasPrefix(line, "~LST") {
		vars, sets, text, err := parseLst(line)
		if err != "" {
			r.diags.add(Error, pos, "invalid ~LST: %s: %s", err, line)
			return
		}
		for _, set := range sets {
			for i, v := range vars {
				r.defs[v] = &definition{lines: []string{set[i]}}
			}
			r.process(text, pos, false)
			if r.aborted {
				return
			}
		}
		return
	}
	s, err := r.parseSeq(line, pos)
	if err != "" {
		r.diags.add(Error, pos, "invalid ~SEQ: %s: %s", err, line)
		return
	}
	for v := s.start; ; v += s.step {
		val := strconv.FormatInt(v, 10)
		if s.hex {
			val = strconv.FormatInt(v, 16)
		}
		r.defs[s.name] = &definition{lines: []string{val}}
		r.process(s.text, pos, false)
		if r.aborted || (s.step > 0 && s.end-v < s.step) || (s.step < 0 && s.end-v > s.step) {
			return
		}
	}
}

type seq struct {
	name             string
	start, step, end int64
	hex              bool
	text             string
}

// parseSeq reads ~SEQ(VAR, end), ~SEQ(VAR, start, end) or ~SEQ(VAR, start, step, end); the
// numbers may be parameters and are read like C's strtol (0x hex, 0 octal).
func (r *reader) parseSeq(line string, pos Pos) (seq, string) {
	var s seq
	p := line[4:]
	if strings.HasPrefix(p, "x") {
		s.hex, p = true, p[1:]
	}
	p = strings.TrimLeft(p, " \t")
	if !strings.HasPrefix(p, "(") {
		return s, "missing '('"
	}
	p = strings.TrimLeft(p[1:], " \t")
	n := strings.IndexAny(p, " \t,)")
	if n <= 0 {
		return s, "missing variable name"
	}
	s.name, p = p[:n], strings.TrimLeft(p[n:], " \t")
	if !strings.HasPrefix(p, ",") {
		return s, "missing ',' after the variable"
	}
	p = p[1:]
	closing := strings.IndexByte(p, ')')
	if closing < 0 {
		return s, "missing ')'"
	}
	args, rest := p[:closing+1], p[closing+1:]
	if expanded, more, _, ok := r.substitute(args, pos); !ok || len(more) > 0 {
		return s, "a parameter in the numbers is not a single-line value"
	} else {
		args = expanded
	}
	var nums []int64
	for {
		v, after, ok := cnum.Strtol(args)
		if !ok {
			return s, "expected a number"
		}
		nums = append(nums, v)
		after = strings.TrimLeft(after, " \t")
		if strings.HasPrefix(after, ")") {
			break
		}
		if !strings.HasPrefix(after, ",") || len(nums) == 3 {
			return s, "expected ',' or ')'"
		}
		args = after[1:]
	}
	switch len(nums) {
	case 1:
		s.end = nums[0]
		s.step, s.start = 1, 1
		if s.end < 1 {
			s.step = -1
		}
		if s.end < 0 {
			s.start = -1
		}
	case 2:
		s.start, s.end, s.step = nums[0], nums[1], 1
		if s.start > s.end {
			s.step = -1
		}
	case 3:
		s.start, s.step, s.end = nums[0], nums[1], nums[2]
		if s.step == 0 || (s.start < s.end && s.step < 0) || (s.start > s.end && s.step > 0) {
			return s, "the step does not lead from start to end"
		}
	}
	if s.hex && (s.start < 0 || s.end < 0) {
		return s, "~SEQx takes positive numbers only"
	}
	s.text = strings.TrimLeft(rest, " \t")
	return s, ""
}

// parseLst reads ~LST(VAR, v1, v2, ...) or ~LST({VAR1, VAR2}, {v1, v2}, {v3, v4}, ...);
// missing values in a set are empty.
func parseLst(line string) (vars []string, sets [][]string, text, err string) {
	p := strings.TrimLeft(line[4:], " \t")
	if !strings.HasPrefix(p, "(") {
		return nil, nil, "", "missing '('"
	}
	p = strings.TrimLeft(p[1:], " \t")
	endVars := byte(',')
	if strings.HasPrefix(p, "{") {
		endVars = '}'
		p = strings.TrimLeft(p[1:], " \t")
	}
	for {
		n := strings.IndexAny(p, " \t,}")
		if n < 0 {
			return nil, nil, "", "unterminated variable list"
		}
		vars = append(vars, p[:n])
		p = strings.TrimLeft(p[n:], " \t")
		if p != "" && p[0] == endVars {
			break
		}
		if !strings.HasPrefix(p, ",") {
			return nil, nil, "", "expected ',' between variables"
		}
		p = strings.TrimLeft(p[1:], " \t")
	}
	if p[0] == '}' {
		p = strings.TrimLeft(p[1:], " \t")
	}
	if !strings.HasPrefix(p, ",") {
		return nil, nil, "", "expected ',' after the variables"
	}
	p = strings.TrimLeft(p[1:], " \t")
	for {
		endSet := byte(',')
		if strings.HasPrefix(p, "{") {
			endSet = '}'
			p = strings.TrimLeft(p[1:], " \t")
		}
		var set []string
		for {
			n := strings.IndexAny(p, " \t,})")
			if n < 0 {
				return nil, nil, "", "missing ')'"
			}
			set = append(set, p[:n])
			p = strings.TrimLeft(p[n:], " \t")
			if p != "" && (p[0] == endSet || (p[0] == ')' && endSet == ',')) {
				break
			}
			if !strings.HasPrefix(p, ",") {
				return nil, nil, "", "expected ',' between values"
			}
			p = strings.TrimLeft(p[1:], " \t")
			if len(set) >= len(vars) {
				return nil, nil, "", "more values than variables"
			}
		}
		for len(set) < len(vars) {
			set = append(set, "")
		}
		sets = append(sets, set)
		if p[0] == '}' && endSet == '}' {
			p = strings.TrimLeft(p[1:], " \t")
		}
		if strings.HasPrefix(p, ")") {
			break
		}
		if !strings.HasPrefix(p, ",") {
			return nil, nil, "", "expected ',' between value sets"
		}
		p = strings.TrimLeft(p[1:], " \t")
	}
	return vars, sets, strings.TrimLeft(p[1:], " \t"), ""
}
