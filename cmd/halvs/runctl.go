package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/halvs/halvs/config"
	"github.com/halvs/halvs/control"
	"github.com/halvs/halvs/director"
	"github.com/halvs/halvs/healthcheck"
	"github.com/halvs/halvs/internal/sdnotify"
	"github.com/halvs/halvs/metrics"
	"github.com/halvs/halvs/vrrp"
)

// reloadGap is the least time between two reloads: an operator's loop of SIGHUPs (or a
// config-management tool firing twice) must not churn the kernel.
const reloadGap = time.Second

// daemon is what `halvs run` holds beyond the director: the config in force, the reload
// and failover serialisation, and the outlets (systemd, metrics) told about them.
type daemon struct {
	log     *slog.Logger
	d       *director.Director
	notify  *sdnotify.Notifier
	metrics *metrics.Metrics
	now     func() time.Time
	limits  config.Limits // every reload reads the file under these

	// ops serialises reloads and failovers: the control socket's requests are refused with
	// ErrBusy while one runs, SIGHUP waits its turn.
	ops        sync.Mutex
	lastReload time.Time // guarded by ops

	mu   sync.Mutex // guards info
	info runInfo

	// checkSeries keeps each checker's metric series; only observeCheck uses it, from the
	// health checks' goroutine.
	checkSeries map[checkKey]metrics.CheckSeries
}

type checkKey struct {
	virtualServer string
	realServer    netip.AddrPort
	checker       string
}

// runInfo is what `halvs run` knows beyond the director: the config in force and the file
// it came from.
type runInfo struct {
	cfg  *config.Config
	path string
}

func (dm *daemon) runInfo() runInfo {
	dm.mu.Lock()
	defer dm.mu.Unlock()
	return dm.info
}

// status is the director's status document, for the control socket, the metrics and the
// status page.
func (dm *daemon) status(ctx context.Context) (*control.Status, error) {
	return dm.d.Status(ctx), nil
}

// observeCheck is the director's OnCheck: one health check result for the metrics, its
// virtual server named as the snapshot's series name it (address and protocol apart).
func (dm *daemon) observeCheck(vs string, rs netip.AddrPort, checker string, r healthcheck.Result) {
	key := checkKey{vs, rs, checker}
	series, ok := dm.checkSeries[key]
	if !ok {
		name, proto := splitHealthName(vs)
		series = dm.metrics.CheckSeries(name, proto, rs.String(), checker)
		if dm.checkSeries == nil {
			dm.checkSeries = map[checkKey]metrics.CheckSeries{}
		}
		dm.checkSeries[key] = series
	}
	series.Observe(r.OK, r.Latency)
}

// splitHealthName undoes healthName: "10.0.0.1:80/TCP" is 10.0.0.1:80 over TCP; a
// firewall mark's name has no protocol.
func splitHealthName(s string) (name, protocol string) {
	if i := strings.LastIndexByte(s, '/'); i >= 0 {
		switch p := config.Protocol(s[i+1:]); p {
		case config.ProtocolTCP, config.ProtocolUDP, config.ProtocolSCTP:
			return s[:i], string(p)
		}
	}
	return s, ""
}

// hup reloads for SIGHUP: it waits for a running reload or failover, and for reloadGap
// after the previous reload.
func (dm *daemon) hup() {
	dm.ops.Lock()
	defer dm.ops.Unlock()
	if wait := reloadGap - dm.now().Sub(dm.lastReload); wait > 0 {
		time.Sleep(wait)
	}
	dm.reloadLocked(false)
}

// controlReload is the control socket's reload: refused with ErrOtherConfig when the request
// names a file other than the one halvs runs, with ErrBusy while another reload or a
// failover runs, or within reloadGap of the previous reload.
func (dm *daemon) controlReload(_ context.Context, req control.ReloadRequest) (*control.ReloadResult, error) {
	if req.ConfigFile != "" {
		if path := dm.runInfo().path; !sameFile(req.ConfigFile, path) {
			return nil, fmt.Errorf("%w: this halvs runs %s and reloads only that file; to run %s, restart halvs with -c %s",
				control.ErrOtherConfig, path, req.ConfigFile, req.ConfigFile)
		}
	}
	if !dm.ops.TryLock() {
		return nil, fmt.Errorf("%w: a reload or failover is running", control.ErrBusy)
	}
	defer dm.ops.Unlock()
	if wait := reloadGap - dm.now().Sub(dm.lastReload); wait > 0 {
		return nil, fmt.Errorf("%w: at most one reload a second; try again in %v", control.ErrBusy, wait.Round(time.Millisecond))
	}
	return dm.reloadLocked(true)
}

// sameFile says whether two paths name one file: the same path, or two links to it (an
// operator may name /etc/halvs/halvs.hcl through a symlink the unit does not use).
func sameFile(a, b string) bool {
	if a == b {
		return true
	}
	fa, errA := os.Stat(a)
	fb, errB := os.Stat(b)
	return errA == nil && errB == nil && os.SameFile(fa, fb)
}

// reloadLocked re-reads the config file and hands it to the director; a refused config
// changes nothing. Called with ops held.
func (dm *daemon) reloadLocked(listChanges bool) (*control.ReloadResult, error) {
	info := dm.runInfo()
	path := info.path
	dm.lastReload = dm.now()
	if err := dm.notify.Reloading("reloading " + path); err != nil {
		dm.log.Warn("sd_notify failed", "state", "RELOADING", "err", err)
	}
	defer func() {
		if err := dm.notify.Ready(dm.summary()); err != nil {
			dm.log.Warn("sd_notify failed", "state", "READY", "err", err)
		}
	}()
	dm.log.Info("reloading configuration", "config", path)
	var cfg *config.Config
	var diags config.Diagnostics
	director.LowPriority(func() { cfg, diags = config.LoadWith(path, dm.limits) }) // off the advert path's threads
	logDiagnostics(dm.log, diags)
	res := &control.ReloadResult{ConfigFile: path}
	var all []string // every finding, "FILE:LINE:COL: error: message", in file order
	for _, dg := range diags {
		all = append(all, dg.String())
		if dg.Severity == config.SeverityWarning {
			res.Warnings = append(res.Warnings, dg.String())
		}
	}
	var err error
	if cfg == nil {
		dm.log.Error("reload refused: configuration invalid; the running one is kept", "config", path, "errors", len(diags.Errors()))
		err = &control.DiagnosticsError{Err: fmt.Errorf("%w: %s has %s; the running configuration is kept",
			control.ErrReloadFailed, path, plural(len(diags.Errors()), "error")), Diagnostics: all}
	} else if rerr := dm.d.Reload(cfg); rerr != nil {
		dm.log.Error("reload refused; the running configuration is kept", "config", path, "err", rerr)
		err = fmt.Errorf("%w: %v", control.ErrReloadFailed, rerr)
	}
	at := dm.now()
	dm.metrics.ObserveReload(err, at)
	dm.d.NoteReload(at, path, reloadErrors(diags, err))
	if err != nil {
		return nil, err
	}
	// The list of changes is for whoever asked over the control socket; on a 32,000
	// destination table it costs about as much as the parse, so a SIGHUP, which nobody
	// reads, does without it.
	if listChanges {
		res.Changes = configChanges(info.cfg, cfg)
	}
	dm.mu.Lock()
	dm.info.cfg = cfg
	dm.mu.Unlock()
	return res, nil
}

// failover is the control socket's failover.
func (dm *daemon) failover(ctx context.Context, req control.FailoverRequest) (*control.FailoverResult, error) {
	if !dm.ops.TryLock() {
		return nil, fmt.Errorf("%w: a reload or failover is running", control.ErrBusy)
	}
	defer dm.ops.Unlock()
	hs, err := dm.d.Failover(ctx, req.Instance, time.Duration(req.Hold))
	switch {
	case errors.Is(err, director.ErrNotMaster), errors.Is(err, vrrp.ErrOwner):
		return nil, fmt.Errorf("%w: %v", control.ErrNotMaster, err)
	case err != nil:
		return nil, err
	}
	res := &control.FailoverResult{}
	for _, h := range hs {
		res.Instances = append(res.Instances, h.Instance)
		res.Sent, res.HoldUntil = h.Sent, h.HoldUntil
	}
	return res, nil
}

// summary is the one-line state for systemctl status.
func (dm *daemon) summary() string {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second) // bounds the BGP speaker's answer
	defer cancel()
	st := dm.d.Status(ctx)
	masters := 0
	for _, in := range st.Instances {
		if in.State == "MASTER" {
			masters++
		}
	}
	return summaryLine(len(st.Instances), masters, len(st.VirtualServers))
}

// summaryLine: "2 instances (1 MASTER), 1 virtual server".
func summaryLine(instances, masters, virtualServers int) string {
	return fmt.Sprintf("%s (%d MASTER), %s", plural(instances, "instance"), masters, plural(virtualServers, "virtual server"))
}

// reloadErrors is what status shows of a failed reload: the config's errors, or the
// director's refusal of a valid config; nil for a success.
func reloadErrors(diags config.Diagnostics, err error) []string {
	if err == nil {
		return nil
	}
	var out []string
	for _, dg := range diags.Errors() {
		out = append(out, dg.String())
	}
	if len(out) == 0 {
		out = append(out, err.Error())
	}
	return out
}
