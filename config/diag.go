package config

import (
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
)

// Severity says whether a diagnostic makes the configuration unusable.
type Severity int

const (
	// SeverityError: the configuration is refused.
	SeverityError Severity = iota
	// SeverityWarning: the configuration is used, but something deserves a look.
	SeverityWarning
)

func (s Severity) String() string {
	if s == SeverityWarning {
		return "warning"
	}
	return "error"
}

// Diagnostic is one finding about a configuration, tied to the place in the file it concerns.
type Diagnostic struct {
	Severity Severity
	Message  string    // what is wrong and what would be right
	Range    hcl.Range // Filename, Start.Line and Start.Column name the place
	// Omitted is set on the last diagnostic of a capped list only: how many findings were
	// left out after it (-1: not counted, the parse stopped).
	Omitted int
}

// String formats the diagnostic as compilers do: "FILE:LINE:COL: error: message".
func (d Diagnostic) String() string {
	loc := d.Range.Filename
	if d.Range.Start.Line > 0 {
		loc = fmt.Sprintf("%s:%d:%d", d.Range.Filename, d.Range.Start.Line, d.Range.Start.Column)
	}
	if loc == "" {
		return fmt.Sprintf("%s: %s", d.Severity, d.Message)
	}
	return fmt.Sprintf("%s: %s: %s", loc, d.Severity, d.Message)
}

// Diagnostics is the list of findings from Load or Parse, sorted by position.
type Diagnostics []Diagnostic

// HasErrors reports whether any diagnostic is an error, i.e. the configuration was refused.
func (ds Diagnostics) HasErrors() bool {
	for _, d := range ds {
		if d.Severity == SeverityError {
			return true
		}
	}
	return false
}

// Errors returns only the errors; Warnings only the warnings.
func (ds Diagnostics) Errors() Diagnostics   { return ds.only(SeverityError) }
func (ds Diagnostics) Warnings() Diagnostics { return ds.only(SeverityWarning) }

func (ds Diagnostics) only(s Severity) Diagnostics {
	var out Diagnostics
	for _, d := range ds {
		if d.Severity == s {
			out = append(out, d)
		}
	}
	return out
}

// Write prints one diagnostic per line in the "FILE:LINE:COL: error: message" form.
func (ds Diagnostics) Write(w io.Writer) error {
	for _, d := range ds {
		if _, err := fmt.Fprintln(w, d.String()); err != nil {
			return err
		}
	}
	return nil
}

// String is the Write form as one string.
func (ds Diagnostics) String() string {
	var b strings.Builder
	_ = ds.Write(&b)
	return b.String()
}

// Err returns nil when there are no errors, otherwise an error whose text lists the errors.
func (ds Diagnostics) Err() error {
	errs := ds.Errors()
	if len(errs) == 0 {
		return nil
	}
	return errors.New(strings.TrimRight(errs.String(), "\n"))
}

// Counts is the number of errors and warnings found, those left out of a capped list
// included (as errors: a capped list is refused anyway).
func (ds Diagnostics) Counts() (errors, warnings int) {
	for _, d := range ds {
		if d.Severity == SeverityWarning {
			warnings++
		} else {
			errors++
		}
		if d.Omitted > 0 {
			errors += d.Omitted - 1 // the line that stands for them counts once already
		}
	}
	return errors, warnings
}

// capped keeps the first max diagnostics and replaces the rest, with the omitted ones
// already counted, by one line that counts them.
func (ds Diagnostics) capped(max, omitted int, filename string) Diagnostics {
	if len(ds) > max {
		omitted += len(ds) - max
		ds = ds[:max:max]
	}
	if omitted == 0 {
		return ds
	}
	return append(ds, Diagnostic{Severity: SeverityError, Omitted: omitted, Range: hcl.Range{Filename: filename},
		Message: fmt.Sprintf("and %s more (only the first %d are shown)", thousands(omitted), max)})
}

// thousands formats n as 284,000.
func thousands(n int) string {
	s := fmt.Sprint(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

func (ds Diagnostics) sort() {
	sort.SliceStable(ds, func(i, j int) bool {
		a, b := ds[i].Range, ds[j].Range
		if a.Filename != b.Filename {
			return a.Filename < b.Filename
		}
		if a.Start.Line != b.Start.Line {
			return a.Start.Line < b.Start.Line
		}
		return a.Start.Column < b.Start.Column
	})
}

// fromHCL turns HCL's own diagnostics (syntax errors, bad expressions) into ours.
func fromHCL(hds hcl.Diagnostics) Diagnostics {
	var out Diagnostics
	for _, hd := range hds {
		d := Diagnostic{Severity: SeverityError, Message: hd.Summary}
		if hd.Severity == hcl.DiagWarning {
			d.Severity = SeverityWarning
		}
		if hd.Detail != "" {
			d.Message += ": " + hd.Detail
		}
		if hd.Subject != nil {
			d.Range = *hd.Subject
		}
		out = append(out, d)
	}
	return out
}
