package config

import (
	"sync"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// A reload of a large file parses again only the chunks (parse.go) that changed. Each
// chunk of a large file that parsed without a diagnostic is kept, keyed by its file name,
// its text and where it starts, until the next load of that file; a chunk found there is
// not parsed again. A chunk's syntax tree holds its positions, so only a chunk that is
// byte for byte the same at the same offset is reused: an edit that keeps the length of
// its line (a weight from 1 to 2) leaves every other chunk reusable, one that shifts the
// rest of the file (a line added) re-parses what follows it. The decoder only reads the
// trees, so one may serve several loads.

// cacheMinSize is the size from which a file's chunks are kept: below it the parse costs
// less than the copy of the file the cache holds.
const cacheMinSize = 256 << 10

// cachedFiles bounds the files whose chunks are kept (the running config, and one more).
const cachedFiles = 2

type chunkKey struct {
	start hcl.Pos
	src   string
}

var chunkCache struct {
	sync.Mutex
	files map[string]map[chunkKey]*hclsyntax.Body
	order []string // least recently loaded first
}

// chunkParser parses one load's chunks, reusing those of the file's previous load.
type chunkParser struct {
	filename string
	prev     map[chunkKey]*hclsyntax.Body // nil: the file is not cached
	next     map[chunkKey]*hclsyntax.Body
}

func newChunkParser(filename string, size int) *chunkParser {
	p := &chunkParser{filename: filename}
	if size < cacheMinSize {
		return p
	}
	chunkCache.Lock()
	p.prev = chunkCache.files[filename]
	chunkCache.Unlock()
	p.next = map[chunkKey]*hclsyntax.Body{}
	return p
}

// parse is hclsyntax.ParseConfig(src, p.filename, start), or the body that call gave at the
// file's previous load.
func (p *chunkParser) parse(src []byte, start hcl.Pos) (hcl.Body, hcl.Diagnostics) {
	if p.next == nil {
		f, ds := hclsyntax.ParseConfig(src, p.filename, start)
		return f.Body, ds
	}
	if b, ok := p.prev[chunkKey{start, string(src)}]; ok {
		p.next[chunkKey{start, string(src)}] = b
		return b, nil
	}
	f, ds := hclsyntax.ParseConfig(src, p.filename, start)
	if b, ok := f.Body.(*hclsyntax.Body); ok && len(ds) == 0 {
		p.next[chunkKey{start, string(src)}] = b
	}
	return f.Body, ds
}

// keep makes this load's chunks the ones the file's next load may reuse; the chunks of
// the previous load that this one did not use are dropped.
func (p *chunkParser) keep() {
	if p.next == nil {
		return
	}
	chunkCache.Lock()
	defer chunkCache.Unlock()
	if chunkCache.files == nil {
		chunkCache.files = map[string]map[chunkKey]*hclsyntax.Body{}
	}
	chunkCache.files[p.filename] = p.next
	for i, f := range chunkCache.order {
		if f == p.filename {
			chunkCache.order = append(chunkCache.order[:i], chunkCache.order[i+1:]...)
			break
		}
	}
	chunkCache.order = append(chunkCache.order, p.filename)
	for len(chunkCache.order) > cachedFiles {
		delete(chunkCache.files, chunkCache.order[0])
		chunkCache.order = chunkCache.order[1:]
	}
}
