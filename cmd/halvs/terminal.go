package main

import (
	"io"
	"os"

	"golang.org/x/sys/unix"
)

// isTerminal reports whether w is a terminal: what redraws a screen there (--watch's clear
// codes) must not end up in a file or a pipe. A variable, so tests can be a terminal.
var isTerminal = isTerminalDefault

func isTerminalDefault(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	_, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS)
	return err == nil
}
