package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/halvs/halvs/config"
	"github.com/halvs/halvs/control"
	"github.com/halvs/halvs/director"
	"github.com/halvs/halvs/internal/sdnotify"
	"github.com/halvs/halvs/lvs"
	"github.com/halvs/halvs/metrics"
	"github.com/halvs/halvs/statuspage"
)

func init() {
	register(&command{name: "run", summary: "run the director: VRRP, IPVS table and health checks (foreground)", order: 20, run: runRun})
}

// runOptions lets tests run the daemon against fakes; nil fields are the real kernel.
var runOptions = func(o director.Options) director.Options { return o }

// runSignals are the signals the daemon handles; tests send them to the test process.
var runSignals = func(ch chan<- os.Signal) func() {
	signal.Notify(ch, syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP, syscall.SIGUSR1)
	return func() { signal.Stop(ch) }
}

func runRun(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var path, logFormat, logLevel string
	var keepIPVS bool
	for _, name := range []string{"config", "c", "f"} {
		fs.StringVar(&path, name, "", "the HCL configuration `FILE`")
	}
	fs.StringVar(&logFormat, "log-format", "text", "log format: text or json")
	fs.StringVar(&logLevel, "log-level", "info", "log level: debug, info, warn or error")
	fs.BoolVar(&keepIPVS, "keep-ipvs", false, "on stop, leave the IPVS services in the kernel (for an upgrade)")
	maxSize := maxConfigSize(fs)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), `Usage: halvs run [-c FILE] [--log-format text|json] [--log-level LEVEL] [--keep-ipvs]
                 [--max-config-size BYTES]

Runs the director in the foreground, as 'keepalived -n -f FILE' does: the vrrp_instance
blocks elect a master that owns the virtual addresses, and, when FILE has virtual_server
blocks, the IPVS table is programmed on every director (master or backup) and the health
checks weight its real servers. A config without virtual_server runs VRRP alone and never
touches IPVS. Logs go to stderr, one line per event, with keepalived's words:
  msg="Entering MASTER STATE" instance=VI_1 from=BACKUP reason=...

While it runs, global.control_socket (default /run/halvs.sock, root only) answers
'halvs status', 'halvs failover' and 'halvs drill', and global.metrics_listen, when set,
serves Prometheus metrics at /metrics. Under systemd (Type=notify) it reports READY,
RELOADING and STOPPING.

Signals:
  SIGHUP          re-read FILE (at most one reload a second; more SIGHUPs coalesce).
                  An instance whose VRRP settings did not change keeps its state and
                  addresses, real servers keep their health. A FILE that fails
                  validation is logged and the running configuration kept.
  SIGUSR1         write the status, as 'halvs status --json' prints it, to a file beside
                  the control socket (/run/halvs.sock: /run/halvs.status.json, mode 0600)
                  and to the log (keepalived's SIGUSR1 writes /tmp/keepalived.data).
  SIGTERM, SIGINT stop: MASTERs send priority 0 and release their addresses, notify_stop
                  runs, the IPVS services halvs owns are removed (unless --keep-ipvs).
                  Scripts still running `+director.DefaultScriptWait.String()+` after the signal are killed (SIGKILL).
                  A second SIGTERM or SIGINT kills them at once: the addresses and
                  IPVS services are still released, only the scripts are not waited for.

Flags:
  -c, -f, --config FILE  the configuration (default /etc/halvs/halvs.hcl; a lone FILE
                         argument works too)
  --log-format FORMAT    text (default) or json
  --log-level LEVEL      debug, info (default), warn or error; debug shows every
                         dropped advert and why
  --keep-ipvs            on stop, leave the IPVS services in place; the next start adopts
                         them with zero operations
  --max-config-size BYTES
                         refuse a FILE larger than BYTES, at start and on every
                         reload (default 16777216, 16 MiB)

Exit status: 0 after a clean stop, 1 invalid config, IPVS missing for a config that needs it,
control socket in use by another halvs, metrics port taken, or a runtime failure, 2 usage error.
`)
	}
	if code, done := parseFlags(fs, args, stdout, stderr); done {
		return code
	}
	path, ok := configPath(fs, path, stderr)
	if !ok {
		return exitUsage
	}
	log, err := newLogger(stderr, logFormat, logLevel)
	if err != nil {
		fmt.Fprintf(stderr, "halvs run: %v\n", err)
		return exitUsage
	}

	limits := config.Limits{MaxSize: *maxSize}
	cfg, diags := config.LoadWith(path, limits)
	logDiagnostics(log, diags)
	if cfg == nil {
		errs, _ := diags.Counts()
		log.Error("configuration refused", "config", path, "errors", errs)
		return exitFailure
	}
	started := time.Now()
	if abs, err := filepath.Abs(path); err == nil {
		path = abs // status shows it, and a reload from another directory reads the same file
	}
	dm := &daemon{log: log, notify: sdnotify.New(), now: time.Now, limits: limits,
		info: runInfo{cfg: cfg, path: path}}
	dm.metrics = metrics.New(dm.status, halvsVersion())
	dm.metrics.ObserveLoad(started)
	ready := func() {
		if err := dm.notify.Ready(dm.summary()); err != nil {
			log.Warn("sd_notify failed", "state", "READY", "err", err)
		}
	}
	d, err := director.New(cfg, runOptions(director.Options{Logger: log, KeepIPVS: keepIPVS, OnReady: ready,
		OnTakeover: dm.metrics.ObserveTakeover, OnIPVSReport: dm.metrics.ObserveReconcile, OnCheck: dm.observeCheck,
		VIPRecord: vipRecordPath(cfg.Global.ControlSocket), ConfigFile: path}))
	if err != nil {
		if errors.Is(err, lvs.ErrNoIPVS) {
			fmt.Fprintf(stderr, "halvs run: %v\n", lvs.ErrNoIPVS)
		} else {
			log.Error("cannot start", "config", path, "err", err)
		}
		return exitFailure
	}
	dm.d = d

	// The control socket and the metrics port are taken before anything changes in the
	// kernel, so that a second halvs (or a taken port) stops here.
	sockL, err := control.Listen(cfg.Global.ControlSocket)
	if err != nil {
		log.Error("cannot open the control socket", "err", err)
		return exitFailure
	}
	srv := control.NewServer(control.Handlers{Status: dm.status, Reload: dm.controlReload, Failover: dm.failover, Drain: dm.drain}, log)
	go srv.Serve(sockL)
	defer func() {
		sctx, scancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer scancel()
		srv.Shutdown(sctx) // removes the socket file
	}()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if addr := cfg.Global.MetricsListen; addr != "" {
		ml, err := metrics.Listen(addr, log)
		if err != nil {
			log.Error("cannot listen for metrics", "metrics_listen", addr, "err", err)
			return exitFailure
		}
		go func() {
			if err := metrics.ServeListener(ctx, ml, dm.metrics.Handler(), statuspage.Handler(dm.status, halvsVersion(), log)); err != nil {
				log.Error("metrics server stopped", "err", err)
			}
		}()
		log.Info("serving metrics and the status page", "url", "http://"+ml.Addr().String()+"/metrics", "page", "http://"+ml.Addr().String()+"/")
	}

	sigs := make(chan os.Signal, 4)
	stopSignals := runSignals(sigs)
	defer stopSignals()
	// SIGHUPs queue at most one reload behind the running one (the rest coalesce); reloads
	// run off this loop so that SIGTERM is never kept waiting.
	hups := make(chan struct{}, 1)
	go func() {
		for range hups {
			dm.hup()
		}
	}()
	defer close(hups)
	runErr := make(chan error, 1)
	go func() { runErr <- d.Run(ctx) }()
	stopping := false
	for {
		select {
		case err := <-runErr:
			if err != nil {
				log.Error("director failed", "err", err)
				return exitFailure
			}
			return exitOK
		case s := <-sigs:
			if s == syscall.SIGUSR1 {
				go dm.dumpStatus(statusDumpPath(cfg.Global.ControlSocket))
				continue
			}
			if s == syscall.SIGHUP {
				select {
				case hups <- struct{}{}:
				default:
				}
				continue
			}
			if stopping {
				// The VIPs and IPVS services are still released; only the scripts are not
				// waited for.
				log.Warn("second signal: stopping without waiting for scripts", "signal", s.String())
				d.KillScripts()
				d.SkipDrain() // drain.go: the prefixes are withdrawn already; stop now
				continue
			}
			stopping = true
			log.Info("signal received: stopping", "signal", s.String())
			if err := dm.notify.Stopping("stopping: releasing the VIPs"); err != nil {
				log.Warn("sd_notify failed", "state", "STOPPING", "err", err)
			}
			cancel()
		}
	}
}

// logDiagnostics logs each finding with its place, so an operator sees every error at once.
func logDiagnostics(log *slog.Logger, diags config.Diagnostics) {
	for _, dg := range diags {
		level := slog.LevelError
		if dg.Severity == config.SeverityWarning {
			level = slog.LevelWarn
		}
		log.Log(context.Background(), level, dg.Message, "at", fmt.Sprintf("%s:%d:%d", dg.Range.Filename, dg.Range.Start.Line, dg.Range.Start.Column))
	}
}

func newLogger(w io.Writer, format, level string) (*slog.Logger, error) {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("--log-level %q: want debug, info, warn or error", level)
	}
	opts := &slog.HandlerOptions{Level: lv}
	switch strings.ToLower(format) {
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("--log-format %q: want text or json", format)
}
