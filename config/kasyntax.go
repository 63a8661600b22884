package config

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/hashicorp/hcl/v2"
)

// keepalivedBlocks are keepalived.conf's top-level words.
var keepalivedBlocks = map[string]bool{
	"global_defs": true, "static_ipaddress": true, "static_routes": true, "static_rules": true,
	"vrrp_instance": true, "vrrp_script": true, "vrrp_sync_group": true, "virtual_server": true,
	"virtual_server_group": true, "track_file": true, "vrrp_track_file": true, "track_process": true,
}

// keepalivedSyntax recognises a keepalived.conf handed to the HCL loader, from its first
// statement, so that the user reads one line naming `halvs convert` instead of a page of
// HCL syntax errors. It looks at a few lines only: the first statement that is not a
// comment (# // /* */, and keepalived's !) must be a keepalived block opened without "=",
// an "include FILE" or a $NAME=VALUE parameter. A block opened as HCL could open it
// (global_defs {, vrrp_instance VI_1 {) must also hold a first statement without "=": a
// halvs user who wrote global_defs { router_id = "A" } gets HCL's own diagnostics.
func keepalivedSyntax(src []byte, filename string) (Diagnostic, bool) {
	lines := firstStatements(src, 3)
	if len(lines) == 0 {
		return Diagnostic{}, false
	}
	first := lines[0]
	f := strings.Fields(strings.ReplaceAll(first.text, "{", " { "))
	kw := f[0]
	isKA := false
	switch {
	case strings.Contains(first.text, "=") && !strings.HasPrefix(kw, "$"):
	case strings.HasPrefix(kw, "$") && strings.Contains(kw, "="):
		isKA = true // $NAME=VALUE
	case kw == "include" && len(f) >= 2:
		isKA = true // include FILE; halvs' is include = [...]
	case !keepalivedBlocks[kw] || strings.Contains(first.text, `"`):
	case len(f) >= 3 && f[2] != "{" || len(f) >= 2 && strings.ContainsAny(f[1], ".:"):
		isKA = true // virtual_server 10.0.0.1 80, fwmark 1, group G: no HCL label looks so
	default:
		// global_defs { and vrrp_instance VI_1 { are valid HCL too: look inside.
		next := ""
		for _, l := range lines[1:] {
			if next = strings.TrimSpace(strings.TrimPrefix(l.text, "{")); next != "" {
				break
			}
		}
		isKA = next != "" && !strings.Contains(next, "=") && !strings.HasPrefix(next, "}")
	}
	if !isKA {
		return Diagnostic{}, false
	}
	pos := hcl.Pos{Line: first.line, Column: 1, Byte: first.byte}
	return Diagnostic{Severity: SeverityError, Range: hcl.Range{Filename: filename, Start: pos, End: pos},
		Message: fmt.Sprintf("this is keepalived.conf syntax (%q), not halvs' HCL; convert it first: halvs convert %s", strings.TrimSpace(first.text), filename)}, true
}

type statementLine struct {
	text       string
	line, byte int
}

// firstStatements returns up to n lines that are not blank or comments, from the first
// 4 KiB of src.
func firstStatements(src []byte, n int) []statementLine {
	if len(src) > 4096 {
		src = src[:4096]
	}
	var out []statementLine
	inBlock := false
	off := 0
	for i, raw := range bytes.Split(src, []byte("\n")) {
		start := off
		off += len(raw) + 1
		text := strings.TrimSpace(string(raw))
		if inBlock {
			if j := strings.Index(text, "*/"); j >= 0 {
				inBlock = false
				text = strings.TrimSpace(text[j+2:])
			} else {
				continue
			}
		}
		if strings.HasPrefix(text, "/*") {
			if j := strings.Index(text[2:], "*/"); j >= 0 {
				text = strings.TrimSpace(text[2+j+2:])
			} else {
				inBlock = true
				continue
			}
		}
		if text == "" || text[0] == '#' || text[0] == '!' || strings.HasPrefix(text, "//") {
			continue
		}
		out = append(out, statementLine{text: text, line: i + 1, byte: start})
		if len(out) == n {
			break
		}
	}
	return out
}
