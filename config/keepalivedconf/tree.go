package keepalivedconf

import "fmt"

// Node is one statement of a keepalived configuration: a keyword with its values, and the
// statements of its block when it opened one ("virtual_server 10.0.0.1 80 { ... }").
// Entries of value blocks such as virtual_ipaddress are Nodes too, their first word taken
// as the keyword.
type Node struct {
	Pos Pos
	// Words are keepalived's words for the line: Words[0] is the keyword. A "double-quoted
	// string" is one word, without its quotes.
	Words []string
	// Raw is the line after comments are removed and parameters expanded. keepalived reads
	// script keywords again from it, honouring single quotes and escapes (see script.Split).
	Raw string
	// Block holds the statements inside the braces; HasBlock tells an empty block from none.
	Block    []*Node
	HasBlock bool
	// Comments are the comment lines just above the statement and the comment at the end
	// of its line, without their '#' or '!', in the order read.
	Comments []string
}

// Keyword is the statement's first word.
func (n *Node) Keyword() string { return n.Words[0] }

// Args are the words after the keyword.
func (n *Node) Args() []string { return n.Words[1:] }

func (n *Node) String() string { return fmt.Sprintf("%s %q", n.Pos, n.Words) }

// buildTree nests the statements by their braces. A '{' opens the block of the statement
// just before it, which may sit on the line above, as keepalived allows.
func buildTree(items []item, diags *Diagnostics) []*Node {
	type frame struct {
		owner *Node
		nodes []*Node
	}
	stack := []frame{{}}
	for _, it := range items {
		top := &stack[len(stack)-1]
		switch it.text {
		case "{":
			var last *Node
			if n := len(top.nodes); n > 0 {
				last = top.nodes[n-1]
			}
			if last == nil || last.HasBlock {
				diags.add(Error, it.pos, "unexpected '{': no keyword before it opens a block")
				continue
			}
			last.HasBlock = true
			stack = append(stack, frame{owner: last})
		case "}":
			if len(stack) == 1 {
				diags.add(Error, it.pos, "extra '}': no block is open")
				continue
			}
			top.owner.Block = top.nodes
			stack = stack[:len(stack)-1]
		default:
			w, err := words(it.text)
			if err != nil {
				diags.add(Error, it.pos, "%v", err)
				continue
			}
			if len(w) == 0 {
				continue // a line of empty quotes
			}
			top.nodes = append(top.nodes, &Node{Pos: it.pos, Words: w, Raw: it.text, Comments: it.comments})
		}
	}
	for len(stack) > 1 {
		top := stack[len(stack)-1]
		diags.add(Error, top.owner.Pos, "the block of %q is not closed: a '}' is missing", top.owner.Keyword())
		top.owner.Block = top.nodes
		stack = stack[:len(stack)-1]
	}
	return stack[0].nodes
}

// Tree is a keepalived configuration as read: its statements, and the files its includes
// read, for a conversion that keeps the files apart (ConvertFiles).
type Tree struct {
	Main     string // the file read first
	Nodes    []*Node
	Included []Inclusion // in the order read
}

// Inclusion is one file read by an include line.
type Inclusion struct {
	From Pos    // the include line
	File string // the file it read, as the reader named it
}

// ReadTree is ReadFile, with the files the includes read. On an error the Tree holds no
// statements.
func ReadTree(path string, opts *Options) (*Tree, Diagnostics) {
	r := newReader(opts.withDefaults())
	src, err := r.readFile(path)
	if err != nil {
		return &Tree{Main: path}, Diagnostics{{Severity: Error, Pos: Pos{File: path}, Msg: err.Error()}}
	}
	return r.tree(path, src)
}

// ReadTreeFrom is Read, with the files the includes read.
func ReadTreeFrom(name string, src []byte, opts *Options) (*Tree, Diagnostics) {
	r := newReader(opts.withDefaults())
	r.total = int64(len(src))
	return r.tree(name, src)
}

func (r *reader) tree(name string, src []byte) (*Tree, Diagnostics) {
	nodes, diags := r.read(name, src)
	if nodes == nil {
		return &Tree{Main: name}, diags
	}
	return &Tree{Main: name, Nodes: nodes, Included: r.included}, diags
}
