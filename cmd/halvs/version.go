package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"runtime"
)

// version is set at build time with -ldflags "-X main.version=..."; otherwise the module
// version recorded by the Go toolchain is shown.
var version = ""

func init() {
	register(&command{name: "version", summary: "print the halvs version", order: 100, run: runVersion})
}

func runVersion(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("version", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, `Usage: halvs version

Prints the halvs version (set at build time, else the Go module's), the Go version it was
built with, and the platform, e.g.
  halvs v1.2.0 (go1.26.0, linux/amd64)

Exit status: 0, or 2 for a usage error.
`)
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "halvs version: unexpected argument %q\n", fs.Arg(0))
		return exitUsage
	}
	fmt.Fprintf(stdout, "halvs %s (%s, %s/%s)\n", halvsVersion(), runtime.Version(), runtime.GOOS, runtime.GOARCH)
	return exitOK
}
