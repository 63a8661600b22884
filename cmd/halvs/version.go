package main

import (
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
		fmt.Fprint(fs.Output(), `Usage: halvs version

Prints the halvs version (set at build time, else the Go module's), the Go version it was
built with, and the platform, e.g.
  halvs v1.2.0 (go1.26.0, linux/amd64)

Exit status: 0, or 2 for a usage error.
`)
	}
	if code, done := parseFlags(fs, args, stdout, stderr); done {
		return code
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "halvs version: unexpected argument %q\n", fs.Arg(0))
		return exitUsage
	}
	fmt.Fprintf(stdout, "halvs %s (%s, %s/%s)\n", halvsVersion(), runtime.Version(), runtime.GOOS, runtime.GOARCH)
	return exitOK
}
