package main

import (
	"flag"
	"fmt"
	"io"

	"github.com/halvs/halvs/config"
	"github.com/halvs/halvs/config/keepalivedconf"
)

func init() {
	register(&command{name: "convert", summary: "turn a keepalived.conf into halvs' HCL configuration", order: 20, run: runConvert})
}

// runConvert reads a keepalived.conf and writes the equivalent HCL to stdout: exit 0 when
// converted and the output passes 'halvs check' (warnings on stderr), 1 when the input cannot
// be read or parsed or the output fails the check (it is still written), 2 for a bad command
// line.
func runConvert(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("convert", flag.ContinueOnError)
	fs.SetOutput(stderr)
	configID := fs.String("config-id", "", "keepalived's config id (-i): keep the '@`ID` ...' lines for this director")
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), `Usage: halvs convert [--config-id ID] FILE > halvs.hcl

Reads FILE, a keepalived.conf, as keepalived does (include files, $PARAMETERS, ~SEQ and
~LST loops, @ID conditional lines) and writes the equivalent halvs configuration (HCL) to
standard output. keepalived's old names are written with their current ones (lb_algo →
lvs_sched, lb_kind → lvs_method, nb_get_retry → retry), bare flags become "= true",
TCP_CHECK becomes tcp_check, "virtual_server 10.10.10.22 80" becomes
virtual_server "10.10.10.22:80".

Each keyword halvs cannot carry over (e-mail, SNMP, vrrp_strict, ...) is left out and
reported on standard error as FILE:LINE: warning: ..., naming the keepalived file and line.
The output is then checked as 'halvs check' would; its findings are printed too, as
<converted output>:LINE:COL: ..., a position in the HCL written to standard output.

Flags:
  --config-id ID   keep the lines written "@ID ..." (keepalived -i ID); without it they are
                   left out with a warning and "@^ID ..." lines are kept

Exit status: 0 converted, and the output passes 'halvs check' (warnings may be printed);
1 the input cannot be read or parsed (nothing is written), or the output fails 'halvs check'
(it is still written, to be fixed by hand); 2 usage error.
`)
	}
	if code, done := parseFlags(fs, args, stdout, stderr); done {
		return code
	}
	if fs.NArg() != 1 {
		if fs.NArg() == 0 {
			fmt.Fprintln(stderr, "halvs convert: which file? give the keepalived.conf to convert")
		} else {
			fmt.Fprintf(stderr, "halvs convert: one file only, got %d arguments\n", fs.NArg())
		}
		fs.Usage()
		return exitUsage
	}
	path := fs.Arg(0)
	nodes, diags := keepalivedconf.ReadFile(path, &keepalivedconf.Options{ConfigID: *configID})
	if diags.HasErrors() {
		writeDiags(stderr, diags)
		fmt.Fprintf(stderr, "halvs convert: %s cannot be converted\n", path)
		return exitFailure
	}
	hcl, convDiags := keepalivedconf.Convert(nodes)
	diags = append(diags, convDiags...)
	writeDiags(stderr, diags)
	if _, err := stdout.Write(hcl); err != nil {
		fmt.Fprintf(stderr, "halvs convert: %v\n", err)
		return exitFailure
	}
	// Check the result as `halvs check` would, so that a value halvs refuses is seen now,
	// not when the director starts. The positions are in the converted output, not in
	// the keepalived file, and the name says so.
	_, checkDiags := config.Parse(hcl, convertedOutput)
	if len(checkDiags) > 0 {
		fmt.Fprintln(stderr, "halvs convert: 'halvs check' on the output reports:")
		checkDiags.Write(stderr)
	}
	if checkDiags.HasErrors() {
		fmt.Fprintf(stderr, "halvs convert: the output of %s does not pass 'halvs check' (%s); fix it before use\n",
			path, countLine(len(checkDiags.Errors()), "error", len(checkDiags.Warnings()), "warning"))
		return exitFailure
	}
	return exitOK
}

// convertedOutput names the HCL convert writes, in the diagnostics of its check.
const convertedOutput = "<converted output>"

func writeDiags(w io.Writer, diags keepalivedconf.Diagnostics) {
	for _, d := range diags {
		fmt.Fprintln(w, d)
	}
}
