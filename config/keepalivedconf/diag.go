package keepalivedconf

import (
	"fmt"
	"strings"
)

// Pos is a line in a keepalived configuration file. Lines produced by a ~SEQ loop or a
// multi-line parameter carry the position of the line that used them.
type Pos struct {
	File string
	Line int
}

func (p Pos) String() string {
	if p.Line == 0 {
		return p.File
	}
	return fmt.Sprintf("%s:%d", p.File, p.Line)
}

// Severity says whether a diagnostic stops the conversion. The order is config.Severity's
// (errors first, so a Diagnostic's zero value is an error, never a silent warning).
type Severity int

const (
	// Error: the input could not be read or parsed, and there is no output; or, from the
	// converter, a behavioural loss (Diagnostic.Loss): the output lacks something that
	// changes when a failover happens, what the VIP routes or how real servers are checked.
	Error Severity = iota
	// Warning: the output is still produced, without the item the warning names.
	Warning
)

func (s Severity) String() string {
	if s == Error {
		return "error"
	}
	return "warning"
}

// Diagnostic is one finding about the input, tied to the keepalived file and line.
type Diagnostic struct {
	Severity Severity
	Pos      Pos
	Msg      string // for a loss, ends with its consequence
	Loss     bool   // a behavioural loss (an Error from the converter)
}

func (d Diagnostic) String() string {
	return fmt.Sprintf("%s: %s: %s", d.Pos, d.Severity, d.Msg)
}

// Diagnostics is a list of findings in the order they were made.
type Diagnostics []Diagnostic

// HasErrors reports whether any diagnostic is an Error.
func (ds Diagnostics) HasErrors() bool {
	for _, d := range ds {
		if d.Severity == Error {
			return true
		}
	}
	return false
}

// Error joins the diagnostics one per line, so Diagnostics can be returned as an error.
func (ds Diagnostics) Error() string {
	lines := make([]string, len(ds))
	for i, d := range ds {
		lines[i] = d.String()
	}
	return strings.Join(lines, "\n")
}

func (ds *Diagnostics) add(sev Severity, pos Pos, format string, args ...any) {
	*ds = append(*ds, Diagnostic{Severity: sev, Pos: pos, Msg: fmt.Sprintf(format, args...)})
}
