package main

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"testing"
)

func TestIsTerminal(t *testing.T) {
	file, err := os.Create(filepath.Join(t.TempDir(), "out"))
	if err != nil {
		t.Fatal(err)
	}
	defer file.Close()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	for name, out := range map[string]io.Writer{"file": file, "pipe": w, "buffer": &bytes.Buffer{}} {
		if isTerminalDefault(out) {
			t.Errorf("%s: a terminal, want not", name)
		}
	}
	pty, err := os.OpenFile("/dev/ptmx", os.O_RDWR, 0) // a pseudo-terminal's master side
	if err != nil {
		t.Skipf("no pseudo-terminal to test with: %v", err)
	}
	defer pty.Close()
	if !isTerminalDefault(pty) {
		t.Error("/dev/ptmx: not a terminal, want one")
	}
}
