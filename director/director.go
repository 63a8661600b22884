package director

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/halvs/halvs/bgp"
	"github.com/halvs/halvs/config"
	"github.com/halvs/halvs/healthcheck"
	"github.com/halvs/halvs/lvs"
	"github.com/halvs/halvs/vrrp"
)

// Options configure a Director. The zero value runs against the real kernel.
type Options struct {
	Logger *slog.Logger // slog.Default when nil
	// KeepIPVS leaves the owned IPVS services (and the sync daemon) in the kernel when Run
	// ends, for an upgrade: the next start adopts them with zero operations.
	KeepIPVS bool
	// Users resolves script_user and misc_check users; SystemUsers when nil.
	Users UserLookup
	// VIPRecord is the file that records the VIPs halvs added (vrrp.Ledger), so that the
	// next start removes those a crash left and never the host's own addresses. Empty: the
	// record is kept in memory, and a start removes no address an earlier run left.
	VIPRecord string
	// RouteRecord is the file that records the routes and rules halvs added
	// (vrrp.RouteLedger); empty: beside VIPRecord ("x.vips.json" → "x.routes.json").
	RouteRecord string
	// ConfigFile is where the config came from, for status (the reloads' file is
	// NoteReload's).
	ConfigFile string

	// The kernel-facing pieces; nil means the real ones (netlink, raw sockets, IPVS). Unit
	// tests hand in fakes. An Addresser or Announcer given here stays the caller's: the
	// Director closes only the ones it opened.
	Addresser     vrrp.Addresser
	Announcer     vrrp.Announcer
	Links         vrrp.LinkWatcher
	Routes        vrrp.RouteManager // virtual_routes / rules and static_*; netlink when nil
	VMACs         vrrp.VMACManager  // use_vmac interfaces: vmac.go; netlink when nil
	OpenTransport func(vrrp.TransportKey) (vrrp.Transport, error)
	// OpenIPVS opens the IPVS backend. It is called only for a config that needs IPVS
	// (virtual servers, lvs_sync_daemon or lvs_timeouts). Nil checks lvs.Available and opens
	// the kernel's.
	OpenIPVS    func() (lvs.Backend, error)
	VRRPClock   vrrp.Clock        // vrrp.RealClock when nil
	HealthClock healthcheck.Clock // the system clock when nil
	// ScriptWait bounds how long Run waits for running scripts once stopping before it
	// kills them; DefaultScriptWait when zero.
	ScriptWait time.Duration
	// OnReady, when set, is called once Run has started everything (systemd's READY=1).
	OnReady func()
	// IPVSRetry is the wait before a failed reconcile is tried again; 5 s when zero.
	IPVSRetry time.Duration
	// OnTakeover, when set, is told how long each takeover took: from the last advert of the
	// old master (or its priority-0 advert) to the VIPs added and announced (observe.go).
	// It is called from the instance's kernel worker and must not block.
	OnTakeover func(instance string, d time.Duration)
	// OnIPVSReport, when set, gets every IPVS change applied or refused, for metrics. It is
	// called on the IPVS queue and must not block.
	OnIPVSReport func(lvs.Report)
	// OnCheck, when set, gets every health check result, for metrics: virtualServer is the
	// virtual server's name with its protocol ("10.0.0.1:80/TCP"; a firewall mark's has
	// none), checker the check's String ("tcp_check 10.0.0.2:80"). It is called from the
	// health scheduler's goroutine and must not block.
	OnCheck func(virtualServer string, realServer netip.AddrPort, checker string, r healthcheck.Result)
	// BGPSpeaker, BGPDummies and BGPRouterID are the bgp block's kernel-facing pieces: GoBGP,
	// netlink and the host's first IPv4 address when nil (bgp.go).
	BGPSpeaker  bgp.Speaker
	BGPDummies  BGPDummies
	BGPRouterID func() (netip.Addr, error)
	// SetIPVSSysctl writes net.ipv4.vs.NAME (lvs_sloppy_tcp, the sync settings); lvs.SetSysctl
	// when nil.
	SetIPVSSysctl func(name, value string) error
	// GetIPVSSysctl reads net.ipv4.vs.NAME; lvs.Sysctl when nil.
	GetIPVSSysctl func(name string) (string, error)
	// MidStream marks mid-stream packets for lvs_handover_accept's forwarding after a
	// preemption (handover_forward.go); the kernel's tc when nil.
	MidStream MidStreamMarker
}

// Director runs one halvs configuration: the VRRP instances, the vrrp_scripts they track,
// the IPVS table and the health checks that weight it. Build it with New, run it with Run,
// hand it a new configuration with Reload; Status is safe at any time.
type Director struct {
	opts Options
	log  *slog.Logger

	// Fixed for the Director's life.
	router *vrrp.Router
	fifos  *notifyFIFOs
	health *healthcheck.Scheduler
	host   *scriptHost // runs the scripts: scripts.go
	// owned are the kernel handles openVRRP opened itself, closed when the Director ends;
	// those the caller passed in through Options stay the caller's to close.
	owned []io.Closer
	// ledger wraps the Addresser and records the VIPs it adds; lister, when the Addresser
	// can list the host's addresses, is what checkHostAddresses reads.
	ledger *vrrp.Ledger
	lister vrrp.AddressLister
	routes *vrrp.RouteLedger // routes.go: the routes and rules halvs added
	vmacs  vmacSide          // vmac.go: the use_vmac interfaces

	mu      sync.Mutex // serialises Reload and the end of Run; guards what follows
	cfg     *config.Config
	plan    plan
	scripts map[string]*scriptRunner
	running bool
	stopped bool

	// global is the running config's global block, read by notify scripts' runner, which
	// may run while Reload holds mu (an instance stopping runs notify_stop).
	global atomic.Pointer[config.Global]
	// ipvs is nil until a config needs IPVS; read without mu by the event hooks.
	ipvs atomic.Pointer[ipvsSide]

	track trackFeed
	links *linkStates // the instances' LinkWatcher: track_interface states for status
	inst  instanceStates
	obs   observed // observe.go: each instance's last change, for status and metrics

	events  eventRing // events.go: recent history and the last reload, for status
	started time.Time // when New built the Director, for status
	bgp     bgpSide   // bgp.go: the BGP announcement, when the config has a bgp block
}

// plan is everything a config translates to, computed before anything is applied.
type plan struct {
	vrrp     VRRPPlan
	health   []HealthPlan
	table    []lvs.VirtualServer
	timeouts *lvs.Timeouts
	syncd    *lvs.SyncDaemon // role unset: the director picks it from the instance's state
	syncInst string
	forwards map[string]midStream // handover_forward.go, by instance
	needIPVS bool
}

// translate builds the plan of cfg, or says why cfg cannot run.
func translate(cfg *config.Config, users UserLookup) (plan, error) {
	var p plan
	var err error
	if p.vrrp, err = TranslateVRRP(cfg); err != nil {
		return plan{}, err
	}
	keys, err := allServiceKeys(cfg)
	if err != nil {
		return plan{}, err
	}
	if p.health, err = translateHealth(cfg, users, keys); err != nil {
		return plan{}, err
	}
	if p.table, err = lvsTable(cfg, keys); err != nil {
		return plan{}, err
	}
	if t, ok := LVSTimeouts(cfg); ok {
		if err := t.Validate(); err != nil {
			return plan{}, err
		}
		p.timeouts = &t
	}
	if sd, ok := LVSSyncDaemon(cfg, lvs.SyncBackup); ok {
		if err := sd.Validate(); err != nil {
			return plan{}, err
		}
		p.syncd, p.syncInst = &sd, cfg.Global.LVSSyncDaemon.Instance
	}
	p.forwards = handoverForwards(cfg)
	p.needIPVS = len(p.table) > 0 || p.timeouts != nil || p.syncd != nil
	// The health checks validate their whole set up front (every checker built, none run,
	// no scheduler), so that a config they refuse is refused before anything changes.
	if err := healthcheck.Validate(p.healthSet()); err != nil {
		return plan{}, fmt.Errorf("health checks: %w", err)
	}
	return p, nil
}

func (p plan) healthSet() []healthcheck.VirtualServer {
	vss := make([]healthcheck.VirtualServer, 0, len(p.health))
	for _, h := range p.health {
		vss = append(vss, h.VS)
	}
	return vss
}

// New checks that cfg can run here and prepares a Director for it; nothing is started and
// the kernel is not changed until Run. A config with virtual servers needs IPVS: without it
// New returns an error wrapping lvs.ErrNoIPVS, whose text is the one line to show. A config
// without virtual servers never touches IPVS.
func New(cfg *config.Config, opts Options) (*Director, error) {
	if cfg == nil {
		return nil, errors.New("director: no configuration")
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.IPVSRetry <= 0 {
		opts.IPVSRetry = 5 * time.Second
	}
	if opts.ScriptWait <= 0 {
		opts.ScriptWait = DefaultScriptWait
	}
	p, err := translate(cfg, opts.Users)
	if err != nil {
		return nil, err
	}
	d := &Director{opts: opts, log: opts.Logger, cfg: cfg, plan: p, scripts: map[string]*scriptRunner{}}
	d.started = d.now()
	d.events.loaded = d.started
	d.global.Store(&cfg.Global)
	d.host = newScriptHost(d.log)
	d.host.pin(p)
	d.bindMiscChecks(p)
	d.track.init()
	d.inst.init()
	if p.needIPVS {
		s, err := d.openIPVS()
		if err != nil {
			return nil, err
		}
		d.ipvs.Store(s)
	}
	if err := d.openVRRP(); err != nil {
		d.closeKernel()
		return nil, err
	}
	if err := d.checkHostAddresses(cfg, planVIPs(p.vrrp)); err != nil {
		d.closeKernel()
		return nil, err
	}
	if err := d.prepareBGP(cfg); err != nil { // bgp.go
		d.closeKernel()
		return nil, err
	}
	d.health, err = healthcheck.New(p.healthSet(), healthcheck.Options{
		Clock: opts.HealthClock, Logger: d.log, OnEvent: d.onHealthEvent, OnResult: opts.OnCheck,
		RunScript: d.runScript,
	})
	if err != nil {
		d.closeKernel()
		return nil, fmt.Errorf("health checks: %w", err)
	}
	return d, nil
}

// openVRRP makes the Router with the real kernel pieces unless Options gives others.
func (d *Director) openVRRP() error {
	o := d.opts
	addr, ann, links, open := o.Addresser, o.Announcer, o.Links, o.OpenTransport
	if addr == nil {
		a, err := vrrp.NewAddresser()
		if err != nil {
			return err
		}
		addr = a
		d.owned = append(d.owned, a)
	}
	d.lister, _ = addr.(vrrp.AddressLister)
	led, err := vrrp.OpenLedger(o.VIPRecord, addr, d.log)
	if err != nil {
		return err
	}
	d.ledger, addr = led, led
	if err := d.openRoutes(); err != nil { // routes.go
		return err
	}
	if err := d.openVMACs(); err != nil { // vmac.go
		return err
	}
	if ann == nil {
		a := vrrp.NewAnnouncer()
		ann = a
		d.owned = append(d.owned, a)
	}
	if links == nil {
		links = vrrp.NewLinkWatcher(d.log)
	}
	d.track.watch.delays = newLinkDelays(links) // interface_up_down_delays: linkdelay.go
	d.links = newLinkStates(d.track.watch.delays)
	if open == nil {
		open = vrrp.OpenTransport
	}
	open = d.vmacs.wrapOpen(open) // vmac.go: an IPv4 VMAC sends from its base's address
	d.fifos = newNotifyFIFOs(d.log)
	spareAdvertPs(advertSched(d.global.Load().Timing)) // vrrp_timing.go
	rareGC(advertSched(d.global.Load().Timing), d.log)
	r, err := vrrp.NewRouter(vrrp.Deps{
		Addresser: addr, Announcer: ann, Links: d.links, OpenTransport: open, Routes: d.routes,
		Clock: o.VRRPClock, Logger: d.log, RunScript: d.runNotify, OnStateChange: d.onStateChange,
		BeforePreemptClaim: d.beforePreemptClaim,                                                                   // handover_forward.go
		AdvertSched:        advertSched(d.global.Load().Timing), StartupDelay: d.global.Load().Timing.StartupDelay, // vrrp_timing.go
	})
	if err != nil {
		return err
	}
	d.router = r
	return nil
}

// runNotify runs notify scripts as the current config's script_user.
func (d *Director) runNotify(ctx context.Context, argv []string) error {
	g := d.global.Load()
	cred, err := d.opts.Users.credential(g.ScriptUser, g.ScriptGroup)
	if err != nil {
		return err
	}
	return d.scriptRunnerAs(cred)(ctx, argv)
}

// Run starts everything and runs until ctx is done, then stops as keepalived does on
// SIGTERM: every MASTER sends priority 0 and releases its VIPs, notify_stop runs, the health
// checks stop (omega scripts run), and the owned IPVS services are removed unless KeepIPVS.
// Scripts still running ScriptWait after the stop began (or at once after KillScripts) are
// killed, so the stop never waits longer on them. Every director programs the IPVS table
// whatever its VRRP state. Run may be called once.
func (d *Director) Run(ctx context.Context) error {
	d.mu.Lock()
	if d.running || d.stopped {
		d.mu.Unlock()
		return errors.New("director: Run called twice")
	}
	d.running = true
	p := d.plan
	d.fifos.setLVS(d.cfg.Global.LVSNotifyFifo)
	d.fifos.configure(d.cfg.Global.NotifyFifo, p.vrrp.FIFOs)
	if s := d.ipvs.Load(); s != nil {
		s.start(p)
	}
	healthCtx, stopHealth := context.WithCancel(context.Background())
	healthDone := make(chan error, 1)
	go func() { healthDone <- d.health.Run(healthCtx) }()
	d.removeLeftovers(p.vrrp)
	d.startStatic(p.vrrp.Static) // routes.go
	// bgp.go: after IPVS, so that announced traffic finds its table.
	if err := d.startBGP(); err != nil {
		d.mu.Unlock()
		stopHealth()
		<-healthDone
		d.finish()
		return err
	}
	// vmac.go: the VMACs exist before the instances that use them.
	err := d.startVMACs(p.vrrp)
	if err == nil {
		if err = d.applyVRRP(p); err != nil {
			d.deleteVMACs(sortedVMACs(p.vrrp.VMACs))
		}
	}
	if s := d.ipvs.Load(); s != nil && err == nil && p.syncd != nil {
		s.gate.hold(p.syncInst, d.cfg.Global.LVSSyncPreemptDelay)
	}
	d.mu.Unlock()
	if err != nil {
		stopHealth()
		<-healthDone
		d.finish()
		return err
	}
	go d.checkStaticLoop(ctx) // routes_check.go
	d.log.Info("halvs started", "instances", len(p.vrrp.Instances), "virtual_servers", len(p.health))
	if d.opts.OnReady != nil {
		d.opts.OnReady()
	}

	<-ctx.Done()
	d.log.Info("stopping")
	defer d.host.killAfter(d.opts.ScriptWait)()
	d.mu.Lock()
	d.stopped = true
	for name, s := range d.scripts {
		s.stop()
		delete(d.scripts, name)
	}
	d.stopTrackers()
	d.mu.Unlock()
	d.stopBGP() // bgp.go: withdraw, wait drain_time while IPVS and the checks still run
	if s := d.ipvs.Load(); s != nil {
		s.gate.beforeShutdown() // syncgate.go: the peer hears of the connections first
	}
	drain := d.handoverDrain(d.plan) // handover.go: read while the states are still MASTER
	d.router.Shutdown()              // priority 0, VIPs released, notify_stop: in parallel for every instance
	if drain > 0 {
		d.log.Info("serving what still reaches this director until the backup has announced the VIPs", "wait", drain)
		time.Sleep(drain)
	}
	// vmac.go: after the instances are gone.
	d.deleteVMACs(sortedVMACs(d.plan.vrrp.VMACs))
	d.mu.Lock()
	d.changeStatic(d.plan.vrrp.Static, StaticPlan{}) // routes.go: static_* go last
	d.mu.Unlock()
	stopHealth()
	<-healthDone
	d.finish()
	d.log.Info("stopped")
	return nil
}

// applyVRRP starts or reloads the instances and the vrrp_scripts of p, then feeds the
// instances every tracked state known. Called with d.mu held.
func (d *Director) applyVRRP(p plan) error {
	d.router.SetAnnouncePacing(p.vrrp.Pacing) // garp_group.go
	if err := d.router.Apply(p.vrrp.Instances, p.vrrp.SyncGroups); err != nil {
		return err
	}
	d.syncTrackers(p.vrrp) // trackers.go: vrrp_scripts, track_files, vrrp_track_processes
	d.track.setPlan(p)
	d.feedAll()
	return nil
}

// finish releases what Run held: IPVS (unless kept), the notify FIFOs and the kernel handles.
func (d *Director) finish() {
	if s := d.ipvs.Load(); s != nil {
		s.stop(d.opts.KeepIPVS)
	}
	d.fifos.close()
	d.closeKernel()
}

// closeKernel closes the handles the Director opened: the Addresser and Announcer only if
// openVRRP made them, and the IPVS backend.
func (d *Director) closeKernel() {
	for _, c := range d.owned {
		c.Close()
	}
	d.owned = nil
	if s := d.ipvs.Load(); s != nil {
		s.close()
	}
}

// Reload hands a new configuration to the running objects. cfg is translated and checked
// whole first; on error nothing changes and the old configuration keeps running. Then:
// instances whose VRRP settings are unchanged keep their state and VIPs, others restart, new
// ones start, removed ones stop (priority 0, VIPs released); vrrp_scripts that did not change
// keep running; real servers keep their health; the IPVS table changes by a minimal diff.
// The advert path never waits on a reload.
func (d *Director) Reload(cfg *config.Config) error {
	if cfg == nil {
		return errors.New("director: no configuration")
	}
	var p plan
	var err error
	LowPriority(func() { p, err = translate(cfg, d.opts.Users) }) // off the advert path's threads
	if err != nil {
		return err
	}
	bc, hasBGP, err := d.bgpConfig(cfg) // bgp.go
	if err != nil {
		return err
	}
	if err := d.checkBGPAddresses(cfg); err != nil { // bgp.go
		return err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if !d.running || d.stopped {
		return errors.New("director: not running")
	}
	if err := d.checkHostAddresses(cfg, addedVIPs(d.plan.vrrp, p.vrrp)); err != nil {
		return err
	}
	if err := checkVMACReload(d.plan.vrrp.VMACs, p.vrrp.VMACs); err != nil { // vmac.go
		return err
	}
	var opened *ipvsSide
	if p.needIPVS && d.ipvs.Load() == nil {
		if opened, err = d.openIPVS(); err != nil {
			return err
		}
	}
	// The instances Apply starts report their first state, and those it stops their STOP,
	// while it runs, and their notify scripts read script_user when they run: the new
	// global settings and FIFOs are in place first, as Run has them before its Apply. An
	// instance Apply stops keeps its notify_fifo until then.
	old := d.cfg
	d.host.pin(p)
	d.bindMiscChecks(p)
	warnTimingRestart(d.log, old.Global.Timing, cfg.Global.Timing) // vrrp_timing.go
	d.global.Store(&cfg.Global)
	d.fifos.setLVS(cfg.Global.LVSNotifyFifo)
	d.fifos.configure(cfg.Global.NotifyFifo, unionFIFOs(d.plan.vrrp.FIFOs, p.vrrp.FIFOs))
	newVMACs, err := d.createVMACs(d.plan.vrrp.VMACs, p.vrrp.VMACs) // vmac.go: before the instances use them
	if err == nil {
		d.router.SetAnnouncePacing(p.vrrp.Pacing) // garp_group.go
		err = d.router.Apply(p.vrrp.Instances, p.vrrp.SyncGroups)
		if err != nil {
			d.deleteVMACs(newVMACs)
		}
	}
	if err != nil {
		// Apply changes nothing when it fails: back to the old settings.
		d.global.Store(&old.Global)
		d.fifos.setLVS(old.Global.LVSNotifyFifo)
		d.fifos.configure(old.Global.NotifyFifo, d.plan.vrrp.FIFOs)
		if opened != nil {
			opened.close()
		}
		return err
	}
	// Past this point the new config is in force; what follows cannot be refused.
	d.fifos.configure(cfg.Global.NotifyFifo, p.vrrp.FIFOs)
	if opened != nil {
		d.ipvs.Store(opened)
		opened.start(p)
	} else if s := d.ipvs.Load(); s != nil {
		s.reload(p)
	}
	d.changeStatic(d.plan.vrrp.Static, p.vrrp.Static) // routes.go
	// bgp.go: neighbors and prefixes change in place.
	d.reloadBGP(bc, hasBGP)
	// vmac.go: the VMACs whose instances are gone.
	d.deleteVMACs(goneVMACs(d.plan.vrrp.VMACs, p.vrrp.VMACs))
	d.setVMACBases(nil, p.vrrp.VMACs)
	d.cfg, d.plan = cfg, p
	d.syncTrackers(p.vrrp) // trackers.go: vrrp_scripts, track_files, vrrp_track_processes
	d.track.setPlan(p)
	d.feedAll()
	if err := d.health.Update(p.healthSet()); err != nil {
		// translate validated the set, so only a stopped scheduler gets here.
		d.log.Error("health checks: reload failed", "err", err)
	}
	d.log.Info("configuration reloaded", "instances", len(p.vrrp.Instances), "virtual_servers", len(p.health))
	return nil
}
