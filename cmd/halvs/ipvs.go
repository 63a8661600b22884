package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"runtime/debug"
	"syscall"
	"time"

	"github.com/halvs/halvs/config"
	"github.com/halvs/halvs/control"
	"github.com/halvs/halvs/director"
	"github.com/halvs/halvs/lvs"
)

func init() {
	register(&command{name: "ipvs", summary: "program the config's IPVS table once and exit (--dry-run: print the operations)", order: 30, run: runIPVS})
}

// openIPVS opens the kernel's IPVS table; tests replace it with an in-memory one.
var openIPVS = func() (lvs.Backend, func(), error) {
	k, err := lvs.NewKernel()
	if err != nil {
		return nil, nil, err
	}
	return k, func() { k.Close() }, nil
}

// runIPVS applies the config's virtual servers to the kernel once, as ipvsadm-restore would
// from a file, but as a minimal diff: an unchanged table costs no operation.
func runIPVS(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("ipvs", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var path string
	var dryRun, force bool
	for _, name := range []string{"config", "c", "f"} {
		fs.StringVar(&path, name, "", "the HCL configuration `FILE`")
	}
	fs.BoolVar(&dryRun, "dry-run", false, "print the operations without applying them")
	fs.BoolVar(&dryRun, "n", false, "short for --dry-run")
	fs.BoolVar(&force, "force", false, "apply even while a halvs daemon answers on FILE's control socket")
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), `Usage: halvs ipvs [-c FILE] [--dry-run] [--force]

Programs the IPVS table described by FILE's virtual_server blocks (real servers at their
configured weights, no health checks) and the global lvs_timeouts, then exits. It reads the
kernel's table first and applies only the difference, so running it twice changes nothing
the second time. Services that FILE does not name are left alone (nothing is flushed).

Each operation is printed on stdout in ipvsadm's notation, e.g.
  -A -t 10.10.10.22:80 -s wrr
  -a -t 10.10.10.22:80 -r 10.10.10.31:80 -g -w 3
so the output of a dry run against an empty table is valid 'ipvsadm --restore' input.

It refuses to apply while a halvs daemon answers on FILE's global.control_socket: that
daemon owns the table, and its health checks set the weights; this command would put back
the real servers the checks took out. Change a running director with 'halvs reload'.

Flags:
  -c, -f, --config FILE   the configuration (default /etc/halvs/halvs.hcl; a lone FILE
                          argument works too)
  -n, --dry-run           print the operations, change nothing (without IPVS in the kernel:
                          the operations that would build the table from empty); allowed
                          while a daemon runs
  --force                 apply even while a halvs daemon runs

Exit status: 0 applied (or nothing to do), 1 invalid config, a daemon running (without
--force), IPVS missing or an operation failed, 2 usage error.
`)
	}
	if code, done := parseFlags(fs, args, stdout, stderr); done {
		return code
	}
	path, ok := configPath(fs, path, stderr)
	if !ok {
		return exitUsage
	}

	oneShotGC()

	// Thousands of operations written one unbuffered line at a time to a pipe cost more
	// than programming them; one flush at the end.
	out := bufio.NewWriter(stdout)
	defer out.Flush()
	stdout = out

	cfg, diags := config.Load(path)
	diags.Write(stderr)
	if diags.HasErrors() {
		return exitFailure
	}
	table, err := director.LVSTable(cfg)
	if err != nil {
		fmt.Fprintf(stderr, "halvs ipvs: %s: %v\n", path, err)
		return exitFailure
	}
	timeouts, hasTimeouts := director.LVSTimeouts(cfg)
	if len(table) == 0 && !hasTimeouts {
		fmt.Fprintf(stderr, "halvs ipvs: %s has no virtual_server and no lvs_timeouts: nothing to do\n", path)
		return exitOK
	}

	if !dryRun && !force {
		if why := daemonOwnsIPVS(cfg.Global.ControlSocket); why != "" {
			fmt.Fprintf(stderr, "halvs ipvs: %s: refusing to change the IPVS table.\n", why)
			fmt.Fprintf(stderr, "halvs ipvs: the daemon owns the table and its health checks set the weights: applying %s would put back the real servers the checks took out, and fight the daemon. Change a running director with 'halvs reload'; --dry-run shows the difference, --force applies anyway.\n", path)
			return exitFailure
		}
	}

	b, closeB, err := openIPVS()
	if err != nil {
		if dryRun && errors.Is(err, lvs.ErrNoIPVS) {
			fmt.Fprintf(stderr, "halvs ipvs: %v; showing the operations from an empty table\n", err)
			ops := lvs.Diff(nil, table, nil)
			if hasTimeouts {
				ops = append(ops, lvs.Op{Kind: lvs.SetTimeouts, Timeouts: timeouts})
			}
			printOps(stdout, ops)
			return exitOK
		}
		fmt.Fprintln(stderr, err)
		return exitFailure
	}
	defer closeB()
	return applyIPVS(b, table, timeouts, hasTimeouts, dryRun, stdout, stderr)
}

// daemonOwnsIPVS says why a halvs daemon is taken to be running on socket ("" when none
// is): something accepts connections there (a stale socket file refuses them). The running
// file's name comes from its status, when it answers in time.
func daemonOwnsIPVS(socket string) string {
	c, err := net.DialTimeout("unix", socket, time.Second)
	switch {
	case errors.Is(err, syscall.EACCES):
		return fmt.Sprintf("the control socket %s exists and is root only, so a halvs may be running; run as root to find out", socket)
	case err != nil:
		return ""
	}
	c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if st, err := control.NewClient(socket).Status(ctx); err == nil && st.ConfigFile != "" {
		return fmt.Sprintf("a halvs daemon answers on %s (running %s)", socket, st.ConfigFile)
	}
	return fmt.Sprintf("a halvs daemon answers on %s", socket)
}

func applyIPVS(b lvs.Backend, table []lvs.VirtualServer, timeouts lvs.Timeouts, hasTimeouts, dryRun bool, stdout, stderr io.Writer) int {
	ctx := context.Background()
	r := lvs.NewReconciler(b, lvs.Options{})
	if err := r.SetDesired(table); err != nil {
		fmt.Fprintf(stderr, "halvs ipvs: %v\n", err)
		return exitFailure
	}
	if dryRun {
		ops, err := r.Plan()
		if err != nil {
			fmt.Fprintf(stderr, "halvs ipvs: %v\n", err)
			return exitFailure
		}
		if hasTimeouts {
			if cur, err := b.Timeouts(); err == nil && !timeoutsMatch(timeouts, cur) {
				ops = append(ops, lvs.Op{Kind: lvs.SetTimeouts, Timeouts: timeouts})
			}
		}
		printOps(stdout, ops)
		fmt.Fprintf(stderr, "halvs ipvs: dry run: %s, nothing applied\n", plural(len(ops), "operation"))
		return exitOK
	}

	// Each report is printed as it comes rather than merged first: a table from empty is
	// thousands of operations, and copying them buys nothing.
	var applied, failed int
	var errs []error
	report := func(rep lvs.Report, err error) {
		printOps(stdout, rep.Applied)
		for _, e := range rep.Failed {
			fmt.Fprintf(stderr, "halvs ipvs: failed: %v\n", e)
		}
		applied, failed = applied+len(rep.Applied), failed+len(rep.Failed)
		if err != nil {
			errs = append(errs, err)
		}
	}
	if hasTimeouts {
		report(r.SetTimeouts(ctx, timeouts))
	}
	report(r.Reconcile(ctx))
	if len(errs) > 0 {
		if failed == 0 { // a failure to read the table, not an operation
			fmt.Fprintf(stderr, "halvs ipvs: %v\n", errors.Join(errs...))
		}
		return exitFailure
	}
	fmt.Fprintf(stderr, "halvs ipvs: %s applied\n", plural(applied, "operation"))
	return exitOK
}

// oneShotGC tunes the collector for a process that allocates a few dozen megabytes and
// exits: no collection until the heap reaches ipvsGCLimit (a 1,000 × 10 table from empty
// allocates about 90 MB, so none at all), then collections that keep it near the limit.
// GOGC or GOMEMLIMIT in the environment still decide.
func oneShotGC() {
	if os.Getenv("GOGC") != "" || os.Getenv("GOMEMLIMIT") != "" {
		return
	}
	debug.SetGCPercent(-1)
	debug.SetMemoryLimit(ipvsGCLimit)
}

// ipvsGCLimit is oneShotGC's heap limit.
const ipvsGCLimit = 256 << 20

// printOps writes one operation a line in ipvsadm's notation, each formatted into one
// reused buffer (thousands for a table from empty).
func printOps(w io.Writer, ops []lvs.Op) {
	var line []byte
	for _, o := range ops {
		line, _ = o.AppendText(line[:0])
		line = append(line, '\n')
		w.Write(line)
	}
}

// timeoutsMatch says whether the kernel's timeouts already satisfy want (zero: any).
func timeoutsMatch(want, cur lvs.Timeouts) bool {
	return (want.TCP == 0 || want.TCP == cur.TCP) && (want.TCPFin == 0 || want.TCPFin == cur.TCPFin) &&
		(want.UDP == 0 || want.UDP == cur.UDP)
}
