package main

import (
	"flag"
	"fmt"
	"io"

	"github.com/halvs/halvs/config"
)

func init() {
	register(&command{name: "check", summary: "validate a configuration file (also: halvs -t -c FILE)", order: 10, run: runCheck})
}

// runCheck validates a config: exit 0 when it is usable (warnings on stderr), 1 with the
// diagnostics on stderr when it is not, 2 for a bad command line.
func runCheck(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("check", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var path string
	for _, name := range []string{"config", "c", "f"} {
		fs.StringVar(&path, name, "", "the HCL configuration `FILE` to check")
	}
	maxSize := maxConfigSize(fs)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), `Usage: halvs check [-c FILE] [--max-config-size BYTES]
       halvs -t -c FILE     (as keepalived users type it)

Reads FILE (halvs' HCL configuration), applies keepalived's defaults and checks everything
halvs can check without touching the system. Each problem is printed as
FILE:LINE:COL: error: message (or warning: ...); after the first 50, one line counts the
rest. FILE must be a regular file; its include = ["conf.d/*.hcl"] reads the files named,
each under the same limits (all of them together at most 4 times --max-config-size). A
directory is read as its *.hcl files, in sorted order. A keepalived.conf is named as such,
with the halvs convert command that turns it into HCL.

Flags:
  -c, -f, --config FILE   the configuration to check (default /etc/halvs/halvs.hcl; a lone
                          FILE argument works too)
  --max-config-size BYTES refuse a FILE larger than BYTES (default 16777216, 16 MiB)

Exit status: 0 valid (warnings may be printed), 1 invalid, 2 usage error.
`)
	}
	if code, done := parseFlags(fs, args, stdout, stderr); done {
		return code
	}
	path, ok := configPath(fs, path, stderr)
	if !ok {
		fs.Usage()
		return exitUsage
	}
	cfg, diags := config.LoadWith(path, config.Limits{MaxSize: *maxSize})
	diags.Write(stderr)
	if diags.HasErrors() {
		errs, warns := diags.Counts()
		fmt.Fprintf(stderr, "%s: %s\n", path, countLine(errs, "error", warns, "warning"))
		return exitFailure
	}
	fmt.Fprintf(stdout, "config OK: %s\n", summary(cfg))
	return exitOK
}

// summary is the one-line inventory printed on success.
func summary(cfg *config.Config) string {
	rs := 0
	for _, vs := range cfg.VirtualServers {
		rs += len(vs.RealServers)
	}
	s := fmt.Sprintf("%s, %s, %s", plural(len(cfg.VRRPInstances), "vrrp_instance"),
		plural(len(cfg.VirtualServers), "virtual_server"), plural(rs, "real_server"))
	if n := len(cfg.VRRPSyncGroups); n > 0 {
		s += ", " + plural(n, "vrrp_sync_group")
	}
	if n := len(cfg.VRRPScripts); n > 0 {
		s += ", " + plural(n, "vrrp_script")
	}
	return s
}

func countLine(errs int, e string, warns int, w string) string {
	s := plural(errs, e)
	if warns > 0 {
		s += ", " + plural(warns, w)
	}
	return s
}

func plural(n int, word string) string {
	if n == 1 {
		return fmt.Sprintf("1 %s", word)
	}
	return fmt.Sprintf("%d %ss", n, word)
}
