package main

import (
	"flag"
	"fmt"
	"io"

	"github.com/halvs/halvs/config"
)

// maxConfigSize adds --max-config-size to a command that loads a config: the most bytes
// the file may hold, for a table too big for the default.
func maxConfigSize(fs *flag.FlagSet) *int64 {
	return fs.Int64("max-config-size", config.DefaultMaxSize, "refuse a configuration larger than `BYTES`")
}

// configPath is the config file of a command that takes -c FILE or a lone FILE argument,
// after fs.Parse: flagPath when -c gave one (then no argument may follow), else the single
// argument. On a bad command line it says what is wrong on stderr and returns false; the
// argument it names is the first one the command cannot use.
func configPath(fs *flag.FlagSet, flagPath string, stderr io.Writer) (string, bool) {
	path, rest := flagPath, fs.Args()
	if path == "" && len(rest) > 0 {
		path, rest = rest[0], rest[1:]
	}
	switch {
	case len(rest) > 0:
		fmt.Fprintf(stderr, "halvs %s: unexpected argument %q\n", fs.Name(), rest[0])
		return "", false
	case path == "":
		fmt.Fprintf(stderr, "halvs %s: which file? give -c FILE\n", fs.Name())
		return "", false
	}
	return path, true
}
