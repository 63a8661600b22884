package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/halvs/halvs/config"
	"github.com/halvs/halvs/control"
)

func init() {
	register(&command{name: "reload", summary: "make the running halvs reread its config; fail with the diagnostics if it is refused", order: 25, run: runReload})
}

// reloadRetry is how long reload waits before asking again when halvs is busy (another
// reload or a failover running, or its one-reload-a-second limit).
var reloadRetry = 250 * time.Millisecond

func runReload(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("reload", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cfgPath, socket string
	var timeout time.Duration
	for _, name := range []string{"c", "config", "f"} {
		fs.StringVar(&cfgPath, name, "", "the configuration `FILE` halvs runs")
	}
	fs.StringVar(&socket, "socket", "", "the control socket `PATH` (default: FILE's global.control_socket, else "+config.DefaultControlSocket+")")
	fs.DurationVar(&timeout, "timeout", time.Minute, "give up after `DURATION`")
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), `Usage: halvs reload [-c FILE] [--socket PATH] [--timeout 1m]

Asks the running halvs (over its control socket, root only) to reread its configuration
file, as SIGHUP does, and waits for the outcome. On success it prints what changed, one
line a definition, and the file's warnings. A file that fails validation is refused: its
errors are printed as FILE:LINE:COL: error: message, and halvs keeps running the
configuration it had. systemd's ExecReload runs this, so 'systemctl reload halvs' fails
on a bad file instead of only logging it.

halvs reloads only the file it was started with. -c FILE says which file you mean: the
request is refused if FILE is another one (to run another file, restart halvs with it).

Flags:
  -c, -f, --config FILE   the file halvs runs; its global.control_socket says where to ask
  --socket PATH           the control socket (default: FILE's, else /etc/halvs/halvs.hcl's
                          when that file is there, else /run/halvs.sock)
  --timeout D             how long to wait, retries while halvs is busy included (default 1m)

Exit status: 0 reloaded, 1 refused (the old configuration stays) or no halvs answered,
2 usage error.
`)
	}
	if code, done := parseFlags(fs, args, stdout, stderr); done {
		return code
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "halvs reload: unexpected argument %q\n", fs.Arg(0))
		return exitUsage
	}
	if timeout <= 0 {
		fmt.Fprintln(stderr, "halvs reload: --timeout must be positive")
		return exitUsage
	}
	var req control.ReloadRequest
	var local config.Diagnostics // FILE's own findings, when it names no socket we can use
	if cfgPath != "" {
		abs, err := filepath.Abs(cfgPath)
		if err != nil {
			fmt.Fprintf(stderr, "halvs reload: %v\n", err)
			return exitFailure
		}
		req.ConfigFile = abs
		if socket == "" {
			// A broken FILE is what reload is there to report, from halvs itself; until
			// then the default socket is the best guess.
			if cfg, diags := config.Load(cfgPath); cfg != nil {
				socket = cfg.Global.ControlSocket
			} else {
				local = diags
			}
		}
	}
	if socket == "" {
		socket, _ = socketPath("", "") // defaultConfig's, else the default
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	res, err := reload(ctx, control.NewClient(socket), req)
	var ae *control.Error
	switch {
	case err == nil:
		printReload(stdout, stderr, res)
		return exitOK
	case errors.As(err, &ae):
		// halvs answered: its findings, then what it said.
		for _, d := range ae.Details {
			fmt.Fprintln(stderr, d)
		}
		if errors.Is(err, control.ErrBusy) {
			fmt.Fprintf(stderr, "halvs reload: gave up after %v: %s\n", timeout, ae.Message)
		} else {
			fmt.Fprintf(stderr, "halvs reload: %s\n", ae.Message)
		}
	case len(local) > 0:
		local.Write(stderr)
		fmt.Fprintf(stderr, "halvs reload: %s is invalid (above), so its control_socket is unknown, and %v; give --socket PATH\n", cfgPath, err)
	default:
		fmt.Fprintf(stderr, "halvs reload: %v\n", err)
	}
	return exitFailure
}

// reload asks c to reload, again every reloadRetry while halvs is busy, until ctx ends;
// then the last busy answer says why it gave up.
func reload(ctx context.Context, c *control.Client, req control.ReloadRequest) (*control.ReloadResult, error) {
	var busy error
	for {
		res, err := c.Reload(ctx, req)
		switch {
		case err == nil:
			return res, nil
		case errors.Is(err, control.ErrBusy):
			busy = err
		case busy != nil && ctx.Err() != nil: // the time ran out during a retry
			return nil, busy
		default:
			return nil, err
		}
		select {
		case <-ctx.Done():
			return nil, busy
		case <-time.After(reloadRetry):
		}
	}
}

func printReload(stdout, stderr io.Writer, res *control.ReloadResult) {
	for _, w := range res.Warnings {
		fmt.Fprintln(stderr, w)
	}
	if len(res.Changes) == 0 {
		fmt.Fprintf(stdout, "reloaded %s: no change\n", res.ConfigFile)
		return
	}
	fmt.Fprintf(stdout, "reloaded %s: %s\n", res.ConfigFile, plural(len(res.Changes), "change"))
	for _, c := range res.Changes {
		fmt.Fprintf(stdout, "  %s\n", c)
	}
}
