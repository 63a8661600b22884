package config

import (
	"net"
	"time"

	"github.com/hashicorp/hcl/v2/hclsyntax"
)

func defaultGlobal() Global {
	return Global{
		VRRPVersion:                 2,
		VRRPGarpMasterDelay:         5 * time.Second,
		VRRPGarpMasterRepeat:        5,
		VRRPGarpMasterRefreshRepeat: 1,
		ControlSocket:               DefaultControlSocket,
		LVSSyncPreemptDelay:         DefaultLVSSyncPreemptDelay,
		Timing:                      defaultGlobalTiming(),
	}
}

var globalSchema = schema{
	attrs: append([]string{"router_id", "script_user", "enable_script_security", "vrrp_version",
		"vrrp_garp_master_delay", "vrrp_garp_master_repeat", "vrrp_garp_master_refresh",
		"vrrp_garp_master_refresh_repeat", "notify_fifo", "control_socket", "metrics_listen",
		"lvs_sync_preempt_delay", "lvs_sloppy_tcp", "lvs_sloppy_sctp", "lvs_handover_accept", "checker_log_all_failures",
		"lvs_flush", "lvs_flush_onstop", "lvs_flush_on_stop", "lvs_notify_fifo", "rs_init_notifies"},
		globalTimingAttrs...), // vrrp_timing.go
	blocks: []string{"lvs_sync_daemon", "lvs_timeouts", "ssl", "garp_group"}, // garp_group: garp_group.go
}

func (d *decoder) global(blk *hclsyntax.Block) Global {
	if len(blk.Labels) > 0 {
		d.errorf(blk.LabelRanges[0], "global takes no name: write global { ... }")
	}
	b := d.open("global", blk.Body, blk.DefRange(), globalSchema)
	g := defaultGlobal()
	g.Source = b.src
	b.str("router_id", &g.RouterID)
	var user string
	if b.str("script_user", &user) {
		var err error
		if g.ScriptUser, g.ScriptGroup, err = parseUserGroup(user); err != nil {
			b.errorf("script_user", "script_user: %v", err)
		}
	}
	b.boolean("enable_script_security", &g.EnableScriptSecurity)
	b.integer("vrrp_version", &g.VRRPVersion, 2, 3)
	b.duration("vrrp_garp_master_delay", &g.VRRPGarpMasterDelay)
	b.integer("vrrp_garp_master_repeat", &g.VRRPGarpMasterRepeat, 1, 255)
	b.duration("vrrp_garp_master_refresh", &g.VRRPGarpMasterRefresh)
	b.integer("vrrp_garp_master_refresh_repeat", &g.VRRPGarpMasterRefreshRepeat, 1, 255)
	b.globalTiming(&g) // vrrp_timing.go
	b.str("notify_fifo", &g.NotifyFifo)
	b.str("lvs_notify_fifo", &g.LVSNotifyFifo)
	b.boolean("rs_init_notifies", &g.RSInitNotifies)
	if b.str("control_socket", &g.ControlSocket) && g.ControlSocket == "" {
		b.errorf("control_socket", "control_socket must be a path such as %q", DefaultControlSocket)
	}
	if b.str("metrics_listen", &g.MetricsListen) && g.MetricsListen != "" {
		if _, port, err := net.SplitHostPort(g.MetricsListen); err != nil || port == "" {
			b.errorf("metrics_listen", "metrics_listen %q must be HOST:PORT such as \"127.0.0.1:9650\" or \":9650\" (\"\" turns metrics off)", g.MetricsListen)
		}
	}
	if sb := b.single("lvs_sync_daemon"); sb != nil {
		s := d.open("lvs_sync_daemon", sb.Body, sb.DefRange(), schema{attrs: []string{"interface", "instance", "sync_id"}})
		sd := &LVSSyncDaemon{Source: s.src}
		if !s.str("interface", &sd.Interface) || sd.Interface == "" {
			d.errorf(sb.DefRange(), "lvs_sync_daemon needs interface = \"IF\" (the interface the sync traffic uses)")
		} else if err := checkIfName(sd.Interface); err != nil {
			s.errorf("interface", "interface: %v", err)
		}
		if !s.str("instance", &sd.Instance) || sd.Instance == "" {
			d.errorf(sb.DefRange(), "lvs_sync_daemon needs instance = \"NAME\" (the vrrp_instance whose state decides master or backup)")
		}
		s.integer("sync_id", &sd.SyncID, 0, 255)
		g.LVSSyncDaemon = sd
	}
	if b.duration("lvs_sync_preempt_delay", &g.LVSSyncPreemptDelay) && g.LVSSyncPreemptDelay > MaxLVSSyncPreemptDelay {
		b.errorf("lvs_sync_preempt_delay", "lvs_sync_preempt_delay must be at most %v", MaxLVSSyncPreemptDelay)
	}
	b.boolean("checker_log_all_failures", &g.CheckerLogAllFailures)
	b.boolean("lvs_sloppy_tcp", &g.LVSSloppyTCP)
	b.boolean("lvs_sloppy_sctp", &g.LVSSloppySCTP)
	g.HasLVSHandoverAccept = b.boolean("lvs_handover_accept", &g.LVSHandoverAccept)
	b.lvsFlush()
	if sb := b.single("ssl"); sb != nil {
		g.SSL = d.ssl(sb)
	}
	if tb := b.single("lvs_timeouts"); tb != nil {
		t := d.open("lvs_timeouts", tb.Body, tb.DefRange(), schema{attrs: []string{"tcp", "tcpfin", "udp"}})
		lt := &LVSTimeouts{Source: t.src}
		for name, dst := range map[string]*time.Duration{"tcp": &lt.TCP, "tcpfin": &lt.TCPFin, "udp": &lt.UDP} {
			switch {
			case !t.duration(name, dst):
			case *dst%time.Second != 0:
				t.errorf(name, "lvs_timeouts %s must be whole seconds (IPVS counts seconds)", name)
			case *dst > MaxLVSTimeout:
				t.errorf(name, "lvs_timeouts %s must be at most %d seconds (31 days, keepalived's limit)", name, int(MaxLVSTimeout/time.Second))
			}
		}
		if len(tb.Body.Attributes) == 0 {
			d.errorf(tb.DefRange(), "lvs_timeouts sets nothing; give at least one of tcp, tcpfin, udp")
		}
		g.LVSTimeouts = lt
	}
	return g
}
