package keepalivedconf

import (
	"strconv"
	"strings"
)

// definition is one $NAME=VALUE parameter, or one of keepalived's predefined ones (fn set).
type definition struct {
	lines     []string // the value; more than one line for a multi-line definition
	multiline bool
	fn        func(params []string) string // predefined: computes the value
	minParams int
	maxParams int
	numbers   bool // parameters must be numbers (${_RANDOM 1 10})
}

func isNameStart(c byte) bool { return c == '_' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }
func isNameChar(c byte) bool  { return isNameStart(c) || '0' <= c && c <= '9' }

// parseDefinition recognises keepalived's "$NAME=VALUE" line (no blank before '='). A VALUE
// ending in '\' starts a multi-line definition; the caller appends the following lines.
func parseDefinition(line string) (name, value string, multiline, ok bool) {
	if len(line) < 2 || line[0] != '$' || !isNameStart(line[1]) {
		return "", "", false, false
	}
	i := 2
	for i < len(line) && line[i] != '=' {
		if !isNameChar(line[i]) {
			return "", "", false, false
		}
		i++
	}
	if i == len(line) {
		return "", "", false, false
	}
	name = line[1:i]
	value = strings.TrimLeft(line[i+1:], " \t")
	if strings.HasSuffix(value, `\`) {
		value = strings.TrimRight(value[:len(value)-1], " \t")
		return name, value, true, true
	}
	return name, value, false, true
}

// ref is one $NAME or ${NAME params} found in a line.
type ref struct {
	name      string
	params    []string
	end       int  // index just past the reference
	atLineEnd bool // nothing follows: a multi-line definition may be used here
}

// scanRef reads a parameter reference at s[0] == '$', following keepalived's
// find_definition: $NAME must be followed by a blank, ',', ')' or the end of the line;
// ${NAME} may be followed by anything and may carry blank-separated parameters.
func scanRef(s string) (ref, bool) {
	if len(s) < 2 {
		return ref{}, false
	}
	braces := s[1] == '{'
	i := 1
	if braces {
		i = 2
	}
	if i >= len(s) || !isNameStart(s[i]) {
		return ref{}, false
	}
	start := i
	for i < len(s) && isNameChar(s[i]) {
		i++
	}
	r := ref{name: s[start:i]}
	if !braces {
		if i < len(s) && !strings.ContainsRune(" \t,)", rune(s[i])) {
			return ref{}, false
		}
		r.end, r.atLineEnd = i, i == len(s)
		return r, true
	}
	pstart := i
	for i < len(s) && (isBlank(s[i]) || isNameChar(s[i])) {
		i++
	}
	if i >= len(s) || s[i] != '}' {
		return ref{}, false
	}
	params := s[pstart:i]
	if p := strings.TrimLeft(params, " \t"); p != "" && strings.TrimRight(p, " \t") != p {
		return ref{}, false // keepalived: parameters must not end with a blank
	}
	r.params = strings.Fields(params)
	r.atLineEnd = i+1 == len(s) && i == pstart
	r.end = i + 1
	return r, true
}

// substitute replaces the defined parameters in line, rescanning each replacement so that
// parameters inside values are replaced too (keepalived's replace_param). A multi-line
// definition replaces the reference with its first line and returns the rest in more, in
// the order they are to be read. A replacement that starts with '~' ends the scan, as in
// keepalived, so a ~SEQ kept in a parameter is run when the line is read.
func (r *reader) substitute(line string, pos Pos) (out string, more []string, changed, ok bool) {
	budget := maxSubstitutions
	for i := 0; i < len(line); {
		j := strings.IndexByte(line[i:], '$')
		if j < 0 {
			break
		}
		i += j
		rf, found := scanRef(line[i:])
		var d *definition
		if found {
			d = r.defs[rf.name]
		}
		if d == nil || (d.multiline && !rf.atLineEnd) {
			i++
			continue
		}
		if len(rf.params) > 0 || d.minParams > 0 {
			if !r.checkParams(rf, d, pos) {
				i++
				continue
			}
		}
		if budget--; budget == 0 {
			r.diags.add(Error, pos, "parameter substitution does not end (a parameter that contains itself?)")
			return "", nil, false, false
		}
		var value string
		switch {
		case d.fn != nil:
			value = d.fn(rf.params)
		case len(d.lines) > 0:
			value = d.lines[0]
			if d.multiline {
				more = append(append([]string(nil), d.lines[1:]...), more...)
			}
		}
		if rf.name == "_RANDOM" && d.fn != nil {
			r.diags.add(Warning, pos, "${_RANDOM} is drawn once, at conversion: the output keeps %s", value)
		}
		line = line[:i] + value + line[i+rf.end:]
		changed = true
		if len(line) > maxLineLen {
			r.diags.add(Error, pos, "parameter substitution makes the line longer than %d characters", maxLineLen)
			return "", nil, false, false
		}
		if strings.HasPrefix(strings.TrimLeft(value, " \t"), "~") {
			break
		}
	}
	return line, more, changed, true
}

func (r *reader) checkParams(rf ref, d *definition, pos Pos) bool {
	if d.maxParams == 0 {
		return false // keepalived leaves ${NAME words} alone when NAME takes no parameters
	}
	if len(rf.params) < d.minParams || len(rf.params) > d.maxParams {
		r.diags.add(Error, pos, "${%s} takes between %d and %d parameters, %d given", rf.name, d.minParams, d.maxParams, len(rf.params))
		return false
	}
	if d.numbers {
		for _, p := range rf.params {
			if _, err := strconv.ParseUint(p, 10, 31); err != nil {
				r.diags.add(Error, pos, "${%s} takes numbers only, not %q", rf.name, p)
				return false
			}
		}
	}
	return true
}

// predefine installs keepalived's predefined parameters.
func (r *reader) predefine() {
	r.defs["_PWD"] = &definition{fn: func([]string) string { return r.pwd }}
	r.defs["_INSTANCE"] = &definition{fn: func([]string) string { return r.opts.ConfigID }}
	r.defs["_HASH"] = &definition{lines: []string{"#"}}
	r.defs["_BANG"] = &definition{lines: []string{"!"}}
	r.defs["_ENV"] = &definition{minParams: 1, maxParams: 1, fn: func(p []string) string {
		return r.opts.Getenv(p[0])
	}}
	r.defs["_RANDOM"] = &definition{maxParams: 2, numbers: true, fn: func(p []string) string {
		lo, hi := 0, 32767
		if len(p) > 0 {
			lo, _ = strconv.Atoi(p[0])
		}
		if len(p) > 1 {
			hi, _ = strconv.Atoi(p[1])
		}
		if hi < lo {
			lo, hi = hi, lo
		}
		return strconv.Itoa(r.opts.Random(lo, hi))
	}}
}
