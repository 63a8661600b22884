package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/halvs/halvs/config"
	"github.com/halvs/halvs/config/keepalivedconf"
)

func init() {
	register(&command{name: "convert", summary: "turn a keepalived.conf into halvs' HCL configuration", order: 20, run: runConvert})
}

// runConvert reads a keepalived.conf (or standard input) and writes the equivalent HCL to
// stdout, or with -o DIR one HCL file per keepalived file into DIR: exit 0 when converted
// with no behavioural loss and the output passes 'halvs check' (warnings on stderr), 1 when
// the input cannot be read or parsed (nothing written), when behaviour is lost (unless
// --allow-loss) or the output fails the check (the output is written either way), 2 for a
// bad command line.
func runConvert(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("convert", flag.ContinueOnError)
	fs.SetOutput(stderr)
	configID := fs.String("config-id", "", "keepalived's config id (-i): keep the '@`ID` ...' lines for this director")
	outDir := fs.String("o", "", "write one HCL file per keepalived file into `DIR` instead of one to standard output")
	allowLoss := fs.Bool("allow-loss", false, "exit 0 even when behaviour is lost")
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), `Usage: halvs convert [--config-id ID] [--allow-loss] FILE > halvs.hcl
       halvs convert [--config-id ID] [--allow-loss] -o DIR FILE
       halvs convert ... - < keepalived.conf

Reads FILE, a keepalived.conf ("-": standard input, includes relative to the working
directory), as keepalived does (include files, $PARAMETERS, ~SEQ and ~LST loops, @ID
conditional lines) and writes the equivalent halvs configuration (HCL) to standard output,
with the comments of the input. keepalived's old names are written with their current ones
(lb_algo → lvs_sched, lb_kind → lvs_method, nb_get_retry → retry), bare flags become
"= true", TCP_CHECK becomes tcp_check, "virtual_server 10.10.10.22 80" becomes
virtual_server "10.10.10.22:80".

With -o DIR, the main file becomes DIR/halvs.hcl and each included keepalived file its own
HCL file (conf.d/web.conf → DIR/conf.d/web.hcl), each including the files its keepalived
file included (include = ["conf.d/web.hcl"]); halvs check -c DIR/halvs.hcl loads the same
configuration as the single-file output. Existing files are not overwritten.

Each keyword halvs cannot carry over is left out and reported on standard error, naming the
keepalived file and line:
  FILE:LINE: warning: ...  cosmetic: process tuning, SNMP, DBus, e-mail, dump files
  FILE:LINE: error: ...    behavioural: it changes when a failover happens, what the VIP
                           routes, or which real servers are checked or how; the line ends
                           with what changes ("real server 10.0.0.12:443 has no checker now
                           and stays in the table whatever its health")
The output is then checked as 'halvs check' would; its findings are printed too, at their
place in the converted output.

Flags:
  --config-id ID   keep the lines written "@ID ..." (keepalived -i ID); without it they are
                   left out with a warning and "@^ID ..." lines are kept
  -o DIR           write halvs.hcl and one HCL file per included file into DIR
  --allow-loss     exit 0 despite behavioural losses (they are still printed)

Exit status: 0 converted with no behavioural loss (or --allow-loss), and the output passes
'halvs check' (warnings may be printed); 1 the input cannot be read or parsed (nothing is
written), behaviour is lost, or the output fails 'halvs check' (the output is written
either way, to be fixed by hand); 2 usage error.
`)
	}
	if code, done := parseFlags(fs, args, stdout, stderr); done {
		return code
	}
	if fs.NArg() != 1 {
		if fs.NArg() == 0 {
			fmt.Fprintln(stderr, "halvs convert: which file? give the keepalived.conf to convert, or - for standard input")
		} else {
			fmt.Fprintf(stderr, "halvs convert: one file only, got %d arguments\n", fs.NArg())
		}
		fs.Usage()
		return exitUsage
	}
	path := fs.Arg(0)
	opts := &keepalivedconf.Options{ConfigID: *configID}
	var tree *keepalivedconf.Tree
	var diags keepalivedconf.Diagnostics
	if path == "-" {
		path = stdinName
		src, err := readAtMost(convertStdin, config.DefaultMaxSize)
		if err != nil {
			fmt.Fprintf(stderr, "halvs convert: standard input: %v\n", err)
			return exitFailure
		}
		tree, diags = keepalivedconf.ReadTreeFrom(path, src, opts)
	} else {
		tree, diags = keepalivedconf.ReadTree(path, opts)
	}
	if diags.HasErrors() {
		writeDiags(stderr, diags)
		fmt.Fprintf(stderr, "halvs convert: %s cannot be converted\n", path)
		return exitFailure
	}
	var checkDiags config.Diagnostics
	if *outDir != "" {
		files, convDiags := keepalivedconf.ConvertFiles(tree)
		writeDiags(stderr, append(diags, convDiags...))
		diags = append(diags, convDiags...)
		main, err := writeFiles(*outDir, files)
		if err != nil {
			fmt.Fprintf(stderr, "halvs convert: %v\n", err)
			return exitFailure
		}
		// Positions are in the files written, which the check names.
		_, checkDiags = config.Load(main)
	} else {
		hcl, convDiags := keepalivedconf.ConvertFlat(tree)
		writeDiags(stderr, append(diags, convDiags...))
		diags = append(diags, convDiags...)
		if _, err := stdout.Write(hcl); err != nil {
			fmt.Fprintf(stderr, "halvs convert: %v\n", err)
			return exitFailure
		}
		// The positions are in the converted output, not in the keepalived file, and the
		// name says so.
		_, checkDiags = config.Parse(hcl, convertedOutput)
	}
	// Check the result as `halvs check` would, so that a value halvs refuses is seen now,
	// not when the director starts.
	if len(checkDiags) > 0 {
		fmt.Fprintln(stderr, "halvs convert: 'halvs check' on the output reports:")
		checkDiags.Write(stderr)
	}
	code := exitOK
	if n := diags.Losses(); n > 0 {
		if *allowLoss {
			fmt.Fprintf(stderr, "halvs convert: %s accepted with --allow-loss: the output does not do everything %s did\n", losses(n), path)
		} else {
			fmt.Fprintf(stderr, "halvs convert: %s (the errors above): the output does not do everything %s did; rewrite those parts by hand, or accept the losses with --allow-loss\n", losses(n), path)
			code = exitFailure
		}
	}
	if checkDiags.HasErrors() {
		fmt.Fprintf(stderr, "halvs convert: the output of %s does not pass 'halvs check' (%s); fix it before use\n",
			path, countLine(len(checkDiags.Errors()), "error", len(checkDiags.Warnings()), "warning"))
		code = exitFailure
	}
	return code
}

func losses(n int) string {
	if n == 1 {
		return "1 behavioural loss"
	}
	return fmt.Sprintf("%d behavioural losses", n)
}

// stdinName names standard input in diagnostics.
const stdinName = "<stdin>"

// convertStdin is what "convert -" reads; tests replace it.
var convertStdin io.Reader = os.Stdin

// readAtMost reads r to its end, refusing more than max bytes.
func readAtMost(r io.Reader, max int64) ([]byte, error) {
	src, err := io.ReadAll(io.LimitReader(r, max+1))
	if err == nil && int64(len(src)) > max {
		err = fmt.Errorf("%w: more than %d bytes", config.ErrTooLarge, max)
	}
	return src, err
}

// writeFiles writes the converted files under dir, none of which may exist yet, and
// returns the main file's path.
func writeFiles(dir string, files []keepalivedconf.File) (string, error) {
	for _, f := range files {
		p := filepath.Join(dir, f.Name)
		if _, err := os.Lstat(p); err == nil {
			return "", fmt.Errorf("%s exists; convert into an empty directory (nothing was written)", p)
		}
	}
	for _, f := range files {
		p := filepath.Join(dir, f.Name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return "", err
		}
		if err := os.WriteFile(p, f.HCL, 0o644); err != nil {
			return "", err
		}
	}
	return filepath.Join(dir, files[0].Name), nil
}

// convertedOutput names the HCL convert writes, in the diagnostics of its check.
const convertedOutput = "<converted output>"

func writeDiags(w io.Writer, diags keepalivedconf.Diagnostics) {
	for _, d := range diags {
		fmt.Fprintln(w, d)
	}
}
