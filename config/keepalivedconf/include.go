package keepalivedconf

import (
	"errors"
	"path/filepath"
	"strings"
)

// includePattern recognises keepalived's include directive and its includer, includem,
// includew, includeb and includea variants (which differ only in how loudly keepalived
// complains about missing files; the reader treats them alike).
func includePattern(line string) (string, bool) {
	if !strings.HasPrefix(line, "include") || len(line) < 9 {
		return "", false
	}
	rest := line[7:]
	if strings.ContainsRune("rmwba", rune(rest[0])) && isSpace(rest[1]) {
		rest = rest[1:]
	} else if !isSpace(rest[0]) {
		return "", false
	}
	return strings.TrimLeft(rest, whiteSpace), true
}

func isSpace(c byte) bool { return strings.IndexByte(whiteSpace, c) >= 0 }

// include reads the files matching pattern, relative to the including file's directory as
// keepalived resolves them. A pattern that names no file is a warning, as keepalived warns
// ("Config files missing") and carries on; the warning names the lost file so that the
// conversion does not lose that part of the configuration unnoticed.
func (r *reader) include(pattern string, pos Pos) {
	if pattern == "" {
		r.diags.add(Error, pos, "include names no file")
		return
	}
	if len(pattern) >= keepalivedMaxBuf {
		r.diags.add(Error, pos, "include pattern longer than keepalived's limit of %d characters", keepalivedMaxBuf-1)
		return
	}
	if n := countBraces(pattern, maxBracePatterns); n > maxBracePatterns {
		r.diags.add(Error, pos, "include %s expands to more than %d patterns; name fewer alternatives", pattern, maxBracePatterns)
		return
	}
	base := filepath.Dir(r.file)
	files := 0
	for _, alt := range expandBraces(pattern) {
		if !filepath.IsAbs(alt) {
			alt = filepath.Join(base, alt)
		}
		matches, err := r.opts.Glob(alt)
		if err != nil {
			r.diags.add(Error, pos, "include %s: %v", alt, err)
			continue
		}
		if len(matches) == 0 {
			if strings.ContainsAny(alt, "*?[") {
				r.diags.add(Warning, pos, "include %s matches no file", alt)
			} else {
				r.diags.add(Warning, pos, "include %s: no such file; its settings are left out (keepalived warns and carries on too)", alt)
			}
			continue
		}
		if files += len(matches); files > maxIncludeFiles {
			r.diags.add(Error, pos, "include %s matches more than %d files", pattern, maxIncludeFiles)
			return
		}
		for _, m := range matches {
			if r.aborted {
				return
			}
			if r.depth >= maxIncludeDepth {
				r.abort(pos, "includes nest deeper than %d files (does %s include itself?)", maxIncludeDepth, m)
				return
			}
			src, err := r.readFile(m)
			if errors.Is(err, errTotalSize) {
				r.abort(pos, "include %s: %v", m, err)
				return
			}
			if err != nil {
				r.diags.add(Error, pos, "include %s: %v", m, err)
				continue
			}
			r.included = append(r.included, Inclusion{From: pos, File: m})
			r.comments = nil // they describe the include, not the included file's first statement
			r.depth++
			r.readSource(m, src)
			r.depth--
		}
	}
}

// countBraces is how many patterns expandBraces(s) returns, or limit+1 when more. It
// follows expandBraces' reading: each group's alternatives hold balanced braces, so a
// group multiplies what follows it.
func countBraces(s string, limit int) int {
	open := -1
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' {
			i++
			continue
		}
		if s[i] == '{' {
			open = i
			break
		}
	}
	if open < 0 {
		return 1
	}
	depth, last, sum := 0, open+1, 0
	for i := open; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case '{':
			depth++
		case ',', '}':
			if s[i] == ',' && depth != 1 {
				continue
			}
			if s[i] == '}' {
				if depth--; depth != 0 {
					continue
				}
			}
			sum = min(sum+countBraces(s[last:i], limit), limit+1)
			last = i + 1
			if s[i] == '}' {
				return min(sum*countBraces(s[i+1:], limit), limit+1)
			}
		}
	}
	return countBraces(s[open+1:], limit)
}

// expandBraces expands csh-style alternatives ("conf.d/{a,b}.conf"), which keepalived's
// glob(GLOB_BRACE) supports and Go's filepath.Glob does not. A '{' without a matching '}'
// is literal text.
func expandBraces(s string) []string {
	open := -1
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' {
			i++
			continue
		}
		if s[i] == '{' {
			open = i
			break
		}
	}
	if open < 0 {
		return []string{s}
	}
	depth, last := 0, open+1
	var alts []string
	for i := open; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case '{':
			depth++
		case ',':
			if depth == 1 {
				alts = append(alts, s[last:i])
				last = i + 1
			}
		case '}':
			if depth--; depth == 0 {
				alts = append(alts, s[last:i])
				var out []string
				for _, a := range alts {
					out = append(out, expandBraces(s[:open]+a+s[i+1:])...)
				}
				return out
			}
		}
	}
	// No matching '}': keep the '{' literally and expand what follows.
	var out []string
	for _, tail := range expandBraces(s[open+1:]) {
		out = append(out, s[:open+1]+tail)
	}
	return out
}
