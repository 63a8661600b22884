package director

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/halvs/halvs/healthcheck"
	"github.com/halvs/halvs/internal/script"
	"github.com/halvs/halvs/vrrp"
)

// DefaultScriptWait is how long Run, once stopping, waits for the scripts still running
// (notify_stop included) before it kills their process groups with SIGKILL. Each script also
// has its own timeout; this bounds them all together, so that a script that ignores SIGTERM
// and sleeps cannot hold the daemon past the service manager's stop timeout, whose SIGKILL
// would skip the IPVS clean-up.
const DefaultScriptWait = 10 * time.Second

// scriptHost runs every script the director starts itself: notify scripts, vrrp_scripts,
// and the health checks' notify_up/down and quorum scripts. It applies
// enable_script_security at run time (a script.Guard holding each program to the file
// vetted at load) and can kill every running script at once when stopping.
type scriptHost struct {
	log  *slog.Logger
	ctx  context.Context // cancelled with script.ErrKilled: no script runs any more
	kill context.CancelCauseFunc
	// guard is one for the Director's life: each config adds or renews its pins.
	guard *script.Guard
}

func newScriptHost(log *slog.Logger) *scriptHost {
	h := &scriptHost{log: log, guard: script.NewGuard()}
	h.ctx, h.kill = context.WithCancelCause(context.Background())
	return h
}

// pin vets the programs of p that run as root, as config's check did at load, and holds them
// to the files they resolve to now. A program that is not safe now keeps the file it was
// pinned to earlier, if any: the runner then refuses it while it leads elsewhere.
func (h *scriptHost) pin(p plan) {
	for _, prog := range p.programs() {
		if err := h.guard.Pin(prog); err != nil {
			h.log.Debug("enable_script_security: not pinned at load; checked when it runs as root", "script", prog, "err", err)
		}
	}
}

// run runs c until it ends, ctx ends or the host kills every script. With secure (the
// running config's enable_script_security) a run as root goes through the Guard; a refusal
// is logged here and counted by the Guard.
func (h *scriptHost) run(ctx context.Context, c script.Command, secure bool) script.Result {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	stop := context.AfterFunc(h.ctx, func() { cancel(context.Cause(h.ctx)) })
	defer stop()
	if secure {
		c.Guard = h.guard
	}
	r := script.Run(ctx, c)
	if errors.Is(r.Err, script.ErrInsecure) {
		h.log.Error("script refused", "script", c.String(), "err", r.Err, "refused_total", c.Guard.Refused())
	}
	return r
}

// killAfter kills every script, running or to come, once d has passed; the returned
// function cancels that if it has not happened yet.
func (h *scriptHost) killAfter(d time.Duration) (cancel func()) {
	t := time.AfterFunc(d, func() {
		h.log.Warn("scripts still running when the stop wait ran out: killing them", "wait", d)
		h.kill(script.ErrKilled)
	})
	return func() { t.Stop() }
}

// programs lists the program (argv[0]) of every script the director runs for p.
func (p plan) programs() []string {
	var out []string
	add := func(argvs ...[]string) {
		for _, a := range argvs {
			if len(a) > 0 {
				out = append(out, a[0])
			}
		}
	}
	notify := func(n vrrp.NotifyConfig) { add(n.Master, n.Backup, n.Fault, n.Stop, n.Notify) }
	for _, i := range p.vrrp.Instances {
		notify(i.Notify)
	}
	for _, g := range p.vrrp.SyncGroups {
		notify(g.Notify)
	}
	for _, s := range p.vrrp.Scripts {
		add(s.Argv)
	}
	for _, h := range p.health {
		for _, c := range []*script.Command{h.VS.QuorumUp, h.VS.QuorumDown} {
			if c != nil {
				add(c.Argv)
			}
		}
		for _, rs := range h.VS.RealServers {
			for _, c := range []*script.Command{rs.NotifyUp, rs.NotifyDown} {
				if c != nil {
					add(c.Argv)
				}
			}
		}
	}
	return out
}

// runScript runs c as one of the director's scripts (see scriptHost); the health checks'
// notify and quorum scripts come through here.
func (d *Director) runScript(ctx context.Context, c script.Command) script.Result {
	return d.host.run(ctx, c, d.global.Load().EnableScriptSecurity)
}

// scriptRunnerAs returns a vrrp.ScriptRunner that runs argv as cred through runScript (its
// own process group, killed with it on timeout); a non-zero exit is an error.
func (d *Director) scriptRunnerAs(cred *script.Credential) vrrp.ScriptRunner {
	return func(ctx context.Context, argv []string) error {
		return d.runScript(ctx, script.Command{Argv: argv, User: cred}).Err
	}
}

// KillScripts kills every script the director is running with SIGKILL and starts no more.
// It is for a second stop signal: Run then returns as soon as the VIPs are released and the
// IPVS services removed, without waiting out the scripts (DefaultScriptWait).
func (d *Director) KillScripts() {
	d.log.Warn("not waiting for scripts: killing them")
	d.host.kill(script.ErrKilled)
}

// bindMiscChecks makes the misc_checks of p run through runScript, so that a root one is
// held to the file enable_script_security vetted, as the notify scripts are. The plan's
// slices are shared with nothing yet (translate made them), so they are changed in place.
func (d *Director) bindMiscChecks(p plan) {
	for _, h := range p.health {
		for _, rs := range h.VS.RealServers {
			for k, c := range rs.Checks {
				if m, ok := c.Spec.(healthcheck.MiscSpec); ok {
					m.Run = d.runScript
					rs.Checks[k].Spec = m
				}
			}
		}
	}
}
