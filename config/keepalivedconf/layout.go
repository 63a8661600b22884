package keepalivedconf

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/hashicorp/hcl/v2/hclwrite"
	"github.com/zclconf/go-cty/cty"
)

// MainFile is the name ConvertFiles gives the HCL file of the main keepalived file.
const MainFile = "halvs.hcl"

// File is one HCL file of a converted configuration.
type File struct {
	Name string // relative to the output directory: halvs.hcl, conf.d/web.hcl
	From string // the keepalived file whose statements it holds
	HCL  []byte
}

// ConvertFlat is Convert for a Tree, with the input's comments kept.
func ConvertFlat(t *Tree) ([]byte, Diagnostics) {
	files, diags := convert(t, true, false)
	return files[0].HCL, diags
}

// ConvertFiles converts a Tree into one HCL file per keepalived file, comments kept: the
// main file's becomes MainFile, an included file's keeps its path relative to the main
// file's directory (conf.d/web.conf → conf.d/web.hcl; one outside it goes to included/),
// and each file includes those its keepalived file included, with
// include = ["conf.d/web.hcl"] where its first include line stood, so that config.Load of
// MainFile reads the configuration ConvertFlat writes. An include inside a block has no
// HCL form (HCL includes are top-level only): its statements are written into the block,
// with a warning. The first File is the main one.
func ConvertFiles(t *Tree) ([]File, Diagnostics) {
	return convert(t, true, true)
}

// fileLayout places the statements of each keepalived file in an HCL file.
type fileLayout struct {
	order    []string                  // keepalived files with an HCL file, main first
	names    map[string]string         // keepalived file → HCL name
	bodies   map[string]*hclwrite.File // keepalived file → its HCL
	children map[string][]string       // keepalived file → the files it includes at the top level
	pending  map[string]Pos            // keepalived file → its include line, until written
}

func convert(t *Tree, comments, layout bool) ([]File, Diagnostics) {
	c := &converter{comments: comments}
	l := &fileLayout{names: map[string]string{}, bodies: map[string]*hclwrite.File{},
		children: map[string][]string{}, pending: map[string]Pos{}}
	l.add(t.Main, MainFile)
	if layout {
		l.plan(c, t)
	}
	for _, n := range t.Nodes {
		file := t.Main
		if _, ok := l.bodies[n.Pos.File]; layout && ok {
			file = n.Pos.File
			l.flush(file, n.Pos.Line)
		}
		c.top(l.bodies[file].Body(), n)
	}
	for _, f := range l.order {
		l.flush(f, -1)
	}
	// keepalived settles an instance's version and what depends on it once everything is
	// read (vrrp_complete_instance): global vrrp_version may come after the instance.
	for _, o := range c.instances {
		c.completeInstance(o)
	}
	out := make([]File, 0, len(l.order))
	for _, f := range l.order {
		out = append(out, File{Name: l.names[f], From: f, HCL: hclwrite.Format(l.bodies[f].Bytes())})
	}
	return out, c.diags
}

func (l *fileLayout) add(file, name string) {
	l.order = append(l.order, file)
	l.names[file] = name
	l.bodies[file] = hclwrite.NewEmptyFile()
}

// plan gives an HCL file to every included file that holds top-level statements or
// includes one that does, and records who includes whom.
func (l *fileLayout) plan(c *converter, t *Tree) {
	top := map[string]bool{}
	for _, n := range t.Nodes {
		top[n.Pos.File] = true
	}
	// A file is kept when it or a file it includes holds top-level statements.
	keep := map[string]bool{}
	for i := len(t.Included) - 1; i >= 0; i-- {
		inc := t.Included[i]
		if top[inc.File] || keep[inc.File] {
			keep[inc.File] = true
			keep[inc.From.File] = true
		}
	}
	used := map[string]bool{MainFile: true}
	seen := map[string]bool{t.Main: true}
	for _, inc := range t.Included {
		if seen[inc.File] {
			continue // keepalived reads a file included twice twice; its HCL file is written once
		}
		seen[inc.File] = true
		if !keep[inc.File] {
			c.diags.add(Warning, inc.From, "%s holds no top-level statement (it is included inside a block, or holds none); its statements are written where the include stands, as HCL includes work at the top level only", inc.File)
			continue
		}
		l.add(inc.File, hclName(t.Main, inc.File, used))
		l.children[inc.From.File] = append(l.children[inc.From.File], inc.File)
		if _, ok := l.pending[inc.From.File]; !ok {
			l.pending[inc.From.File] = inc.From
		}
	}
}

// flush writes file's include attribute once its include line comes before line (-1:
// at the end).
func (l *fileLayout) flush(file string, line int) {
	at, ok := l.pending[file]
	if !ok || (line >= 0 && at.Line >= line) {
		return
	}
	delete(l.pending, file)
	dir := filepath.Dir(l.names[file])
	var vals []cty.Value
	for _, child := range l.children[file] {
		rel, err := filepath.Rel(dir, l.names[child])
		if err != nil {
			rel = l.names[child]
		}
		vals = append(vals, cty.StringVal(filepath.ToSlash(rel)))
	}
	body := l.bodies[file].Body()
	if len(body.Blocks()) > 0 {
		body.AppendNewline()
	}
	body.SetAttributeValue("include", cty.TupleVal(vals))
}

// hclName is the HCL file name of an included keepalived file: its path relative to the
// main file's directory with the extension .hcl, or included/BASE.hcl for a file outside
// it; a name already used gets -2, -3, ...
func hclName(main, file string, used map[string]bool) string {
	rel, err := filepath.Rel(filepath.Dir(main), file)
	if err != nil || filepath.IsAbs(rel) || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		rel = filepath.Join("included", filepath.Base(file))
	}
	stem := strings.TrimSuffix(rel, filepath.Ext(rel))
	name := stem + ".hcl"
	for i := 2; used[name]; i++ {
		name = fmt.Sprintf("%s-%d.hcl", stem, i)
	}
	used[name] = true
	return name
}
