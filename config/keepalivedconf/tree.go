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
