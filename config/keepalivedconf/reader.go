package keepalivedconf

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"

	"github.com/halvs/halvs/config"
)

// Limits that keep a hostile or mistaken input (a ~SEQ over a billion values, a parameter
// that contains itself, a file that includes itself) from running away.
const (
	defaultMaxLines  = 1_000_000
	maxLineLen       = 64 << 10
	maxSubstitutions = 1_000 // per line; real lines need a handful
	maxIncludeDepth  = 32
	keepalivedMaxBuf = 1024 // keepalived ignores longer lines (MAXBUF)
	// maxBracePatterns bounds what one include's {a,b} alternatives expand to, and
	// maxIncludeFiles the files one include reads ("include {a,b}{a,b}..." doubles with
	// every pair).
	maxBracePatterns = 10_000
	maxIncludeFiles  = 1_000
	// defaultMaxTotalSize bounds the bytes of all the files read, includes included.
	defaultMaxTotalSize = 64 << 20
)

// Options adjust how a configuration is read. The zero value reads from the file system the
// way keepalived would with no config id.
type Options struct {
	// ConfigID is keepalived's -i/--config-id: it selects the '@ID' conditional lines and is
	// the value of ${_INSTANCE}. keepalived defaults it to the host name; the reader does
	// not, because the converting host is rarely the director. With no ConfigID, '@ID' lines
	// are skipped with a warning and '@^ID' lines are kept.
	ConfigID string
	// Getenv gives ${_ENV NAME}; nil means os.Getenv.
	Getenv func(string) string
	// Random gives ${_RANDOM MIN MAX}, a number in [lo, hi]; nil means math/rand.
	Random func(lo, hi int) int
	// ReadFile and Glob reach the files; nil means reading regular files only, at most
	// MaxFileSize bytes (config.ReadRegularFile), and filepath.Glob without directories.
	// Tests and fuzzing substitute an in-memory file system.
	ReadFile func(name string) ([]byte, error)
	Glob     func(pattern string) ([]string, error)
	// MaxLines bounds the number of lines read after include, ~SEQ, ~LST and multi-line
	// parameter expansion; 0 means 1,000,000.
	MaxLines int
	// MaxFileSize bounds each file read, the first one and every include; 0 means
	// config.DefaultMaxSize (16 MiB). MaxTotalSize bounds them all together; 0 means 64 MiB.
	MaxFileSize  int64
	MaxTotalSize int64
}

func (o *Options) withDefaults() Options {
	var opts Options
	if o != nil {
		opts = *o
	}
	if opts.Getenv == nil {
		opts.Getenv = os.Getenv
	}
	if opts.Random == nil {
		opts.Random = func(lo, hi int) int { return lo + rand.IntN(hi-lo+1) }
	}
	if opts.MaxFileSize <= 0 {
		opts.MaxFileSize = config.DefaultMaxSize
	}
	if opts.MaxTotalSize <= 0 {
		opts.MaxTotalSize = defaultMaxTotalSize
	}
	if opts.ReadFile == nil {
		max := opts.MaxFileSize
		opts.ReadFile = func(name string) ([]byte, error) { return config.ReadRegularFile(name, max) }
	}
	if opts.Glob == nil {
		opts.Glob = globFiles
	}
	if opts.MaxLines <= 0 {
		opts.MaxLines = defaultMaxLines
	}
	return opts
}

// globFiles is filepath.Glob without directories, which keepalived skips too. Other
// files that are not regular are kept, for ReadFile to refuse by name.
func globFiles(pattern string) ([]string, error) {
	matches, err := filepath.Glob(pattern)
	files := matches[:0]
	for _, m := range matches {
		if fi, err := os.Stat(m); err == nil && !fi.IsDir() {
			files = append(files, m)
		}
	}
	return files, err
}

// ReadFile reads the keepalived configuration at path, following its includes. It returns
// the top-level statements and the diagnostics; when the diagnostics hold an error the
// statements must not be used.
func ReadFile(path string, opts *Options) ([]*Node, Diagnostics) {
	t, diags := ReadTree(path, opts)
	return t.Nodes, diags
}

// Read reads a keepalived configuration held in src; name is its path, used in diagnostics
// and as the base for relative includes.
func Read(name string, src []byte, opts *Options) ([]*Node, Diagnostics) {
	t, diags := ReadTreeFrom(name, src, opts)
	return t.Nodes, diags
}

// errTotalSize: the files read, includes included, hold more than Options.MaxTotalSize.
var errTotalSize = errors.New("the files read, includes included, are too large together")

func newReader(opts Options) *reader {
	return &reader{opts: opts, defs: map[string]*definition{}}
}

// readFile reads one file through opts.ReadFile, within the size limits.
func (r *reader) readFile(name string) ([]byte, error) {
	src, err := r.opts.ReadFile(name)
	if err != nil {
		return nil, err
	}
	if int64(len(src)) > r.opts.MaxFileSize {
		return nil, fmt.Errorf("%w: more than %d bytes", config.ErrTooLarge, r.opts.MaxFileSize)
	}
	if r.total += int64(len(src)); r.total > r.opts.MaxTotalSize {
		return nil, fmt.Errorf("%w: more than %d bytes", errTotalSize, r.opts.MaxTotalSize)
	}
	return src, nil
}

func (r *reader) read(name string, src []byte) ([]*Node, Diagnostics) {
	r.predefine()
	r.readSource(name, src)
	r.endDefinition()
	if r.diags.HasErrors() {
		return nil, r.diags
	}
	nodes := buildTree(r.items, &r.diags)
	if r.diags.HasErrors() {
		return nil, r.diags
	}
	return nodes, r.diags
}

// item is one line after expansion and brace splitting: a statement, "{" or "}".
type item struct {
	pos      Pos
	text     string
	comments []string // a statement's comments (Node.Comments)
}

type reader struct {
	opts    Options
	defs    map[string]*definition
	diags   Diagnostics
	items   []item
	file    string      // the file being read, for relative includes
	pwd     string      // its absolute directory, for ${_PWD}
	depth   int         // include depth
	total   int64       // bytes read from all files
	lines   int         // lines processed so far, bounded by opts.MaxLines
	pending *definition // a multi-line definition still collecting lines
	aborted bool
	// comments wait for the next statement of the same file; included lists every file
	// an include read.
	comments []string
	included []Inclusion
}

func (r *reader) abort(pos Pos, format string, args ...any) {
	r.diags.add(Error, pos, format, args...)
	r.aborted = true
}

// readSource reads one file's lines, as keepalived's read_line does before expansion.
func (r *reader) readSource(name string, src []byte) {
	savedFile, savedPwd := r.file, r.pwd
	r.file = name
	r.pwd, _ = filepath.Abs(filepath.Dir(name))
	defer func() { r.file, r.pwd, r.comments = savedFile, savedPwd, nil }()

	lines := strings.Split(string(src), "\n")
	if lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	for i, raw := range lines {
		if r.aborted {
			return
		}
		pos := Pos{File: name, Line: i + 1}
		raw = strings.TrimRight(raw, "\r")
		if strings.IndexByte(raw, 0) >= 0 {
			r.diags.add(Error, pos, "the line holds a NUL byte (keepalived ignores such lines)")
			continue
		}
		if len(raw) >= keepalivedMaxBuf {
			r.diags.add(Warning, pos, "the line is longer than keepalived's limit of %d characters; keepalived would ignore it", keepalivedMaxBuf-1)
		}
		if r.pending != nil && raw == "" {
			r.endDefinition() // a blank line ends a multi-line definition
			continue
		}
		line, unterminated := decomment(raw)
		if text, ok := commentOf(raw); ok && r.pending == nil {
			r.comments = append(r.comments, text)
		}
		if unterminated {
			r.diags.add(Error, pos, "unterminated quote: %s", line)
			continue
		}
		if line == "" {
			continue
		}
		if r.pending != nil {
			r.continueDefinition(line)
			continue
		}
		r.process(line, pos, false)
	}
}

func (r *reader) continueDefinition(line string) {
	d := r.pending
	if strings.HasSuffix(line, `\`) {
		if l := strings.TrimRight(line[:len(line)-1], " \t"); l != "" {
			d.lines = append(d.lines, l)
		}
		return
	}
	d.lines = append(d.lines, line)
	r.endDefinition()
}

func (r *reader) endDefinition() {
	if d := r.pending; d != nil && len(d.lines) == 0 {
		d.multiline = false
	}
	r.pending = nil
}

// process handles one line: a conditional '@ID' prefix, a $NAME=VALUE definition, a ~SEQ or
// ~LST loop, parameter substitution, then include or brace splitting.
func (r *reader) process(line string, pos Pos, substituted bool) {
	if r.aborted {
		return
	}
	// Counted before the emptiness test: a ~SEQ over an empty text still loops.
	if r.lines++; r.lines > r.opts.MaxLines {
		r.abort(pos, "more than %d lines after expanding includes, ~SEQ, ~LST and parameters", r.opts.MaxLines)
		return
	}
	if line == "" {
		return
	}
	if line[0] == '@' {
		var keep bool
		if line, keep = r.conditional(line, pos); !keep {
			return
		}
	}
	if name, value, multiline, ok := parseDefinition(line); ok {
		d := &definition{multiline: multiline}
		if value != "" || !multiline {
			d.lines = []string{value}
		}
		r.defs[name] = d
		if multiline {
			r.pending = d
		}
		return
	}
	if strings.HasPrefix(line, "~SEQ") || strings.HasPrefix(line, "~LST") {
		r.loop(line, pos)
		return
	}
	if !substituted && line[0] != '~' && strings.IndexByte(line, '$') >= 0 {
		out, more, changed, ok := r.substitute(line, pos)
		if !ok {
			r.aborted = true
			return
		}
		if changed {
			out, _ = decomment(out)
			r.process(out, pos, true)
			for _, m := range more {
				r.process(m, pos, false)
			}
			return
		}
	}
	r.emit(line, pos)
}

// conditional applies keepalived's '@ID line' (kept when ID is the config id) and
// '@^ID line' (kept when it is not).
func (r *reader) conditional(line string, pos Pos) (string, bool) {
	neg := strings.HasPrefix(line, "@^")
	id := line[1:]
	if neg {
		id = line[2:]
	}
	sp := strings.IndexAny(id, " \t")
	if sp < 0 {
		return "", false // keepalived drops an '@ID' with nothing after it
	}
	id, rest := id[:sp], strings.TrimLeft(id[sp:], " \t")
	match := r.opts.ConfigID != "" && id == r.opts.ConfigID
	if match == neg {
		if r.opts.ConfigID == "" && !neg {
			r.diags.add(Warning, pos, "line for config id %q left out; convert with --config-id %s to keep it", id, id)
		}
		return "", false
	}
	return rest, true
}

// emit follows an include, or splits the line at its first brace outside double quotes
// (keepalived reads "keyword {" and "{ rest" as separate lines) and records it.
func (r *reader) emit(line string, pos Pos) {
	if pattern, ok := includePattern(line); ok {
		r.include(pattern, pos)
		return
	}
	k := braceIndex(line)
	switch {
	case k < 0:
		r.statement(pos, line)
	case k == 0:
		r.items = append(r.items, item{pos: pos, text: line[:1]})
		r.process(strings.TrimLeft(line[1:], " \t"), pos, false)
	default:
		r.statement(pos, strings.TrimRight(line[:k], " \t"))
		r.process(line[k:], pos, false)
	}
}

// statement records a statement with the comments that wait for it.
func (r *reader) statement(pos Pos, text string) {
	r.items = append(r.items, item{pos: pos, text: text, comments: r.comments})
	r.comments = nil
}

func braceIndex(line string) int {
	for i := 0; i < len(line); i++ {
		switch line[i] {
		case '{', '}':
			return i
		case '"':
			j := strings.IndexByte(line[i+1:], '"')
			if j < 0 {
				return -1
			}
			i += j + 1
		}
	}
	return -1
}
