package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"syscall"
)

// Bounds on what the loader accepts, so that a mistaken or hostile file is refused with a
// diagnostic instead of exhausting the daemon's memory or stack.
const (
	// DefaultMaxSize: a table of 2,000 virtual servers of 16 real servers each is a few MB.
	DefaultMaxSize = 16 << 20
	// DefaultMaxDepth bounds brackets, braces, parentheses, strings and interpolations
	// nested in one another; hclsyntax recurses once per level.
	DefaultMaxDepth = 64
	// DefaultMaxErrors is how many diagnostics are reported; the rest are counted.
	DefaultMaxErrors = 50
	// DefaultMaxItemTokens bounds the tokens of one top-level item (a virtual_server with
	// thousands of real servers is well below it); hclsyntax keeps ~350 bytes per token.
	DefaultMaxItemTokens = 250_000
)

// Limits bound what Load and Parse accept; a zero field takes its default.
type Limits struct {
	MaxSize       int64 // bytes in the file (Load only)
	MaxDepth      int
	MaxErrors     int
	MaxItemTokens int
}

func (l Limits) maxSize() int64 {
	if l.MaxSize > 0 {
		return l.MaxSize
	}
	return DefaultMaxSize
}

func (l Limits) maxDepth() int {
	if l.MaxDepth > 0 {
		return l.MaxDepth
	}
	return DefaultMaxDepth
}

func (l Limits) maxErrors() int {
	if l.MaxErrors > 0 {
		return l.MaxErrors
	}
	return DefaultMaxErrors
}

func (l Limits) maxItemTokens() int {
	if l.MaxItemTokens > 0 {
		return l.MaxItemTokens
	}
	return DefaultMaxItemTokens
}

// ErrNotRegular: the config path is a FIFO, a device, a directory or a socket.
var ErrNotRegular = errors.New("not a regular file")

// ErrTooLarge: the config file is larger than Limits.MaxSize.
var ErrTooLarge = errors.New("file too large")

// ReadRegularFile reads the regular file at path, at most max bytes, failing with
// ErrNotRegular or ErrTooLarge otherwise. The type is checked before the open (which on a
// FIFO would block until a writer comes) and again on the opened file (the path may have
// been swapped in between); the open is non-blocking for that case.
func ReadRegularFile(path string, max int64) ([]byte, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if err := regular(fi); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if fi, err = f.Stat(); err != nil {
		return nil, err
	}
	if err := regular(fi); err != nil {
		return nil, err
	}
	// One allocation of the right size for a file that is not growing, and never more
	// than max+1 bytes read.
	buf := bytes.NewBuffer(make([]byte, 0, min(fi.Size(), max)+1))
	if _, err := buf.ReadFrom(io.LimitReader(f, max+1)); err != nil {
		return nil, err
	}
	src := buf.Bytes()
	if int64(len(src)) > max {
		return nil, fmt.Errorf("%w: more than %d bytes (raise the limit with --max-config-size)", ErrTooLarge, max)
	}
	return src, nil
}

func regular(fi fs.FileInfo) error {
	if fi.Mode().IsRegular() {
		return nil
	}
	kind := "special file"
	switch m := fi.Mode(); {
	case m.IsDir():
		kind = "directory"
	case m&fs.ModeNamedPipe != 0:
		kind = "FIFO"
	case m&fs.ModeCharDevice != 0:
		kind = "character device"
	case m&fs.ModeDevice != 0:
		kind = "block device"
	case m&fs.ModeSocket != 0:
		kind = "socket"
	}
	return fmt.Errorf("%w (a %s)", ErrNotRegular, kind)
}
