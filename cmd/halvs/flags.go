package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/halvs/halvs/config"
)

// defaultConfig is the config file of a command given no -c FILE: the one the systemd unit
// runs. Tests point it elsewhere.
var defaultConfig = "/etc/halvs/halvs.hcl"

// maxConfigSize adds --max-config-size to a command that loads a config: the most bytes
// the file may hold, for a table too big for the default.
func maxConfigSize(fs *flag.FlagSet) *int64 {
	return fs.Int64("max-config-size", config.DefaultMaxSize, "refuse a configuration larger than `BYTES`")
}

// configPath is the config file of a command that takes -c FILE or a lone FILE argument,
// after fs.Parse: flagPath when -c gave one (then no argument may follow), else the single
// argument, else defaultConfig. On a bad command line it says what is wrong on stderr and
// returns false; the argument it names is the first one the command cannot use.
func configPath(fs *flag.FlagSet, flagPath string, stderr io.Writer) (string, bool) {
	path, rest := flagPath, fs.Args()
	if path == "" && len(rest) > 0 {
		path, rest = rest[0], rest[1:]
	}
	if len(rest) > 0 {
		fmt.Fprintf(stderr, "halvs %s: unexpected argument %q\n", fs.Name(), rest[0])
		return "", false
	}
	if path == "" {
		path = defaultConfig
	}
	return path, true
}

// parseFlags parses args into fs. Help asked for (-h, --help) is printed on stdout, so
// `halvs check -h | less` works, and ends the command with exit 0; a bad flag's message and
// the usage go to stderr with exit 2. fs.Usage must write to fs.Output(). done says the
// command ends with code.
func parseFlags(fs *flag.FlagSet, args []string, stdout, stderr io.Writer) (code int, done bool) {
	var out bytes.Buffer
	fs.SetOutput(&out)
	err := fs.Parse(args)
	fs.SetOutput(stderr) // later fs.Usage() calls are for usage errors
	switch {
	case errors.Is(err, flag.ErrHelp):
		stdout.Write(out.Bytes())
		return exitOK, true
	case err != nil:
		stderr.Write(out.Bytes())
		return exitUsage, true
	}
	return exitOK, false
}
