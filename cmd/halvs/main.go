// Command halvs is a keepalived-style VRRP + LVS director: it validates and converts
// configurations, runs the director daemon and offers the operator's tools.
package main

import (
	"fmt"
	"io"
	"os"
	"slices"
	"sort"
	"strings"
)

// Exit codes, documented in `halvs help`.
const (
	exitOK      = 0 // success; for check: the config is valid (warnings may be printed)
	exitFailure = 1 // the command failed: invalid config, runtime error, failed drill
	exitUsage   = 2 // the command line itself is wrong
)

// command is one `halvs NAME` subcommand. Each lives in its own file and registers itself
// from init, so adding a command never touches this file.
type command struct {
	name    string
	summary string
	order   int // position in `halvs help`
	run     func(args []string, stdout, stderr io.Writer) int
}

var commands = map[string]*command{}

func register(c *command) {
	if _, dup := commands[c.name]; dup {
		panic("halvs: command registered twice: " + c.name)
	}
	commands[c.name] = c
}

func main() {
	os.Exit(dispatch(os.Args[1:], os.Stdout, os.Stderr))
}

func dispatch(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		usage(stderr)
		return exitUsage
	}
	// keepalived users type `keepalived -t -f FILE` or `-f FILE -t`; `halvs -t -c FILE` and
	// `halvs -c FILE -t` mean the same. No command starts with "-", so a line that does is
	// all flags, and -t among them asks for check.
	if c, ok := commands["check"]; ok && strings.HasPrefix(args[0], "-") {
		if i := slices.IndexFunc(args, func(a string) bool { return a == "-t" || a == "--config-test" }); i >= 0 {
			return c.run(slices.Delete(slices.Clone(args), i, i+1), stdout, stderr)
		}
	}
	switch args[0] {
	case "--version", "-v":
		return runVersion(args[1:], stdout, stderr)
	case "help", "-h", "--help":
		switch {
		case len(args) > 2:
			fmt.Fprintf(stderr, "halvs help: one command at a time, got %q\n", args[1:])
			return exitUsage
		case len(args) == 2:
			c, ok := commands[args[1]]
			if !ok {
				fmt.Fprintf(stderr, "halvs: unknown command %q; run 'halvs help' for the list\n", args[1])
				return exitUsage
			}
			return c.run([]string{"-h"}, stdout, stderr)
		}
		usage(stdout)
		return exitOK
	}
	c, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "halvs: unknown command %q; run 'halvs help' for the list\n", args[0])
		return exitUsage
	}
	return c.run(args[1:], stdout, stderr)
}

func usage(w io.Writer) {
	list := make([]*command, 0, len(commands))
	for _, c := range commands {
		list = append(list, c)
	}
	sort.Slice(list, func(i, j int) bool {
		if list[i].order != list[j].order {
			return list[i].order < list[j].order
		}
		return list[i].name < list[j].name
	})
	var b strings.Builder
	b.WriteString(`halvs — a keepalived-style VRRP + LVS director pair.

Usage: halvs COMMAND [flags]

Commands:
`)
	for _, c := range list {
		fmt.Fprintf(&b, "  %-10s %s\n", c.name, c.summary)
	}
	b.WriteString(`
Run 'halvs COMMAND -h' for a command's flags; 'halvs --version' (or -v) is 'halvs version'.
Commands that read a config take -c FILE, by default /etc/halvs/halvs.hcl.
'halvs -t -c FILE' (or 'halvs -c FILE -t') checks a config, as 'keepalived -t -f FILE' does.

Exit codes:
  0  success (check: the config is valid; warnings may still be printed)
  1  failure: invalid config, runtime error, failed drill or doctor finding
  2  usage error: unknown command or bad flags
`)
	io.WriteString(w, b.String())
}
