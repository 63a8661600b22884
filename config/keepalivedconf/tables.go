package keepalivedconf

import (
	"slices"
	"strings"

	"github.com/zclconf/go-cty/cty"
)

// The keyword tables: keepalived keyword → HCL conversion, one table per block kind. Old
// names (lb_algo, lb_kind, nb_get_retry, vrrp_track_file) are written with their current
// names.

var globalSpec = map[string]conv{
	"router_id":                       str("router_id"),
	"script_user":                     allWords("script_user"),
	"enable_script_security":          boolFlag("enable_script_security", false),
	"vrrp_version":                    integer("vrrp_version"),
	"vrrp_garp_master_delay":          duration("vrrp_garp_master_delay"),
	"vrrp_garp_master_repeat":         integer("vrrp_garp_master_repeat"),
	"vrrp_garp_master_refresh":        duration("vrrp_garp_master_refresh"),
	"vrrp_garp_master_refresh_repeat": integer("vrrp_garp_master_refresh_repeat"),
	"notify_fifo":                     fifo("notify_fifo"),
	"vrrp_notify_fifo":                fifo("notify_fifo"),
	"lvs_notify_fifo":                 fifo("lvs_notify_fifo"),
	"rs_init_notifies":                boolFlag("rs_init_notifies", false),
	"lvs_sync_daemon":                 lvsSyncDaemon,
	"lvs_timeouts":                    lvsTimeouts,
	"checker_log_all_failures":        boolFlag("checker_log_all_failures", false),
	"lvs_flush":                       lvsFlush,
	"lvs_flush_onstop":                lvsFlushOnStop,
	"lvs_flush_on_stop":               lvsFlushOnStop,
	// timing and scheduling (issue 12)
	"vrrp_startup_delay":           duration("vrrp_startup_delay"),
	"vrrp_garp_interval":           duration("vrrp_garp_interval"),
	"vrrp_gna_interval":            duration("vrrp_gna_interval"),
	"vrrp_garp_lower_prio_repeat":  integer("vrrp_garp_lower_prio_repeat"),
	"vrrp_garp_lower_prio_delay":   duration("vrrp_garp_lower_prio_delay"),
	"vrrp_lower_prio_no_advert":    boolFlag("vrrp_lower_prio_no_advert", false),
	"vrrp_higher_prio_send_advert": boolFlag("vrrp_higher_prio_send_advert", false),
	"vrrp_mcast_group4":            str("vrrp_mcast_group4"),
	"vrrp_mcast_group6":            str("vrrp_mcast_group6"),
	"vrrp_rt_priority":             integer("vrrp_rt_priority"),
	"vrrp_priority":                integer("vrrp_priority"),
}

var authSpec = map[string]conv{
	"auth_type": str("auth_type"),
	"auth_pass": str("auth_pass"),
}

var vrrpInstanceSpec = map[string]conv{
	"state":                      str("state"),
	"interface":                  str("interface"),
	"virtual_router_id":          integer("virtual_router_id"),
	"priority":                   integer("priority"),
	"advert_int":                 duration("advert_int"),
	"version":                    integer("version"),
	"nopreempt":                  boolFlag("nopreempt", false),
	"preempt":                    boolFlag("nopreempt", true),
	"preempt_delay":              duration("preempt_delay"),
	"authentication":             sub("authentication", authSpec, false),
	"virtual_ipaddress":          entries("virtual_ipaddress", vipEntry),
	"virtual_ipaddress_excluded": entries("virtual_ipaddress_excluded", vipEntry),
	"virtual_routes":             entries("virtual_routes", routeEntry("virtual_routes")),
	"virtual_rules":              entries("virtual_rules", routeEntry("virtual_rules")),
	"unicast_src_ip":             str("unicast_src_ip"),
	"unicast_peer":               entries("unicast_peer", peerEntry),
	"unicast_ttl":                integer("unicast_ttl"),
	"track_interface":            entries("track_interface", nil),
	"track_script":               entries("track_script", nil),
	"track_file":                 entries("track_file", nil),
	"track_process":              entries("track_process", nil),
	"garp_master_delay":          duration("garp_master_delay"),
	"garp_master_repeat":         integer("garp_master_repeat"),
	"garp_master_refresh":        duration("garp_master_refresh"),
	"garp_master_refresh_repeat": integer("garp_master_refresh_repeat"),
	"accept":                     boolFlag("accept", false),
	"mcast_src_ip":               str("mcast_src_ip"),
	"garp_lower_prio_repeat":     integer("garp_lower_prio_repeat"),
	"garp_lower_prio_delay":      duration("garp_lower_prio_delay"),
	"lower_prio_no_advert":       boolFlag("lower_prio_no_advert", false),
	"higher_prio_send_advert":    boolFlag("higher_prio_send_advert", false),
	"v3_checksum_as_v2":          boolFlag("v3_checksum_as_v2", false),
	"dont_track_primary":         boolFlag("dont_track_primary", false),
	"notify_master":              script("notify_master"),
	"notify_backup":              script("notify_backup"),
	"notify_fault":               script("notify_fault"),
	"notify_stop":                script("notify_stop"),
	"notify":                     script("notify"),
	"use_vmac":                   useVMAC, // vmac.go
	"vmac_xmit_base":             boolFlag("vmac_xmit_base", false),
	"notify_master_rx_lower_pri": script("notify_master_rx_lower_pri"),
	"notify_priority_changes":    boolFlag("notify_priority_changes", false),
	"notify_deleted":             notifyDeleted,
}

var syncGroupSpec = map[string]conv{
	"group":                      eachWord("group"),
	"track_interface":            entries("track_interface", nil),
	"track_script":               entries("track_script", nil),
	"track_file":                 entries("track_file", nil),
	"track_process":              entries("track_process", nil),
	"sync_group_tracking_weight": boolFlag("sync_group_tracking_weight", false),
	"global_tracking":            boolFlag("sync_group_tracking_weight", false), // keepalived's deprecated name
	"notify_master":              script("notify_master"),
	"notify_backup":              script("notify_backup"),
	"notify_fault":               script("notify_fault"),
	"notify_stop":                script("notify_stop"),
	"notify":                     script("notify"),
}

var vrrpScriptSpec = map[string]conv{
	"script":    script("script"),
	"interval":  duration("interval"),
	"timeout":   duration("timeout"),
	"weight":    weightReverse(true),
	"rise":      integer("rise"),
	"fall":      integer("fall"),
	"user":      allWords("user"),
	"init_fail": boolFlag("init_fail", false),
}

var trackFileSpec = map[string]conv{
	"file":      str("file"),
	"weight":    weightReverse(true),
	"init_file": initFile,
}

// inherited are the keywords a virtual server passes to its real servers and they to their
// checkers.
var inherited = map[string]conv{
	"connect_timeout":    duration("connect_timeout"),
	"delay_before_retry": duration("delay_before_retry"),
	"warmup":             duration("warmup"),
	"retry":              integer("retry"),
	"delay_loop":         duration("delay_loop"),
	"alpha":              boolFlag("alpha", false),
	"inhibit_on_failure": boolFlag("inhibit_on_failure", false),
	"virtualhost":        str("virtualhost"),
}

var virtualServerSpec = with(inherited, map[string]conv{
	"protocol":                upper("protocol"),
	"lvs_sched":               str("lvs_sched"),
	"lb_algo":                 str("lvs_sched"),
	"lvs_method":              lvsMethod("lvs_method"),
	"lb_kind":                 lvsMethod("lvs_method"),
	"flag-1":                  boolFlag("flag-1", false),
	"flag-2":                  boolFlag("flag-2", false),
	"flag-3":                  boolFlag("flag-3", false),
	"sh-port":                 boolFlag("sh-port", false),
	"sh-fallback":             boolFlag("sh-fallback", false),
	"mh-port":                 boolFlag("mh-port", false),
	"mh-fallback":             boolFlag("mh-fallback", false),
	"ops":                     boolFlag("ops", false),
	"persistence_timeout":     persistenceTimeout,
	"persistence_granularity": numberOrString("persistence_granularity"),
	"persistence_engine":      str("persistence_engine"),
	"quorum":                  integer("quorum"),
	"hysteresis":              integer("hysteresis"),
	"quorum_up":               script("quorum_up"),
	"quorum_down":             script("quorum_down"),
	"sorry_server":            sorryServer,
	"sorry_server_inhibit":    boolFlag("sorry_server_inhibit", false),
	"sorry_server_lvs_method": lvsMethod("sorry_server_lvs_method"),
	"omega":                   boolFlag("omega", false),
	"ha_suspend":              boolFlag("ha_suspend", false),
	"hashed":                  boolFlag("hashed", false),
	"ip_family":               str("ip_family"),
	"real_server":             realServer,
})

var realServerSpec = with(inherited, map[string]conv{
	"weight":      integer("weight"),
	"lvs_method":  lvsMethod("lvs_method"),
	"lb_kind":     lvsMethod("lvs_method"),
	"notify_up":   script("notify_up"),
	"notify_down": script("notify_down"),
	"uthreshold":  integer("uthreshold"),
	"lthreshold":  integer("lthreshold"),
	"TCP_CHECK":   sub("tcp_check", connectChecker(nil), true),
	"PING_CHECK":  sub("ping_check", connectChecker(nil), true),
	"HTTP_GET":    sub("http_get", connectChecker(httpSpec), true),
	"SSL_GET":     sub("ssl_get", connectChecker(sslSpec), true),
	"DNS_CHECK":   sub("dns_check", connectChecker(map[string]conv{"type": str("type"), "name": str("name")}), true),
	"UDP_CHECK":   sub("udp_check", connectChecker(udpSpec), true),
	"MISC_CHECK":  sub("misc_check", with(timing, miscSpec), true),
	"FILE_CHECK":  sub("file_check", map[string]conv{"track_file": str("track_file"), "weight": weightReverse(true)}, true),
	"SMTP_CHECK":  sub("smtp_check", connectChecker(map[string]conv{"helo_name": str("helo_name"), "host": smtpHost}), true),
})

// timing are the keywords every checker but FILE_CHECK takes.
var timing = map[string]conv{
	"retry":              integer("retry"),
	"nb_get_retry":       integer("retry"),
	"delay_before_retry": duration("delay_before_retry"),
	"delay_loop":         duration("delay_loop"),
	"warmup":             duration("warmup"),
	"alpha":              boolFlag("alpha", false),
	"log_all_failures":   boolFlag("log_all_failures", false),
}

func connectChecker(own map[string]conv) map[string]conv {
	return with(timing, with(map[string]conv{
		"connect_ip":      str("connect_ip"),
		"connect_port":    integer("connect_port"),
		"bindto":          str("bindto"),
		"bind_port":       integer("bind_port"),
		"bind_if":         str("bind_if"),
		"connect_timeout": duration("connect_timeout"),
		"fwmark":          integer("fwmark"),
	}, own))
}

// smtpHost converts a SMTP_CHECK host block. Its connection keywords stay in the host; the
// timing keywords keepalived accepts there set the smtp_check's own (keepalived applies them
// to the checker, not the host), so they move up to it.
func smtpHost(c *converter, o *out, n *Node) {
	if !c.needBlock(n) {
		return
	}
	c.extra(n, 0)
	host := newOut(o.body.AppendNewBlock("host", nil).Body(), "host of "+o.what)
	conn := connectChecker(nil)
	for _, child := range n.Block {
		kw := child.Keyword()
		switch {
		case timing[kw] != nil:
			timing[kw](c, o, child)
		case conn[kw] != nil:
			conn[kw](c, host, child)
		default:
			c.unsupported(child, host.what, []string{"connect_ip", "connect_port", "bindto", "bind_port", "bind_if", "connect_timeout", "fwmark"})
		}
	}
}

var httpSpec = map[string]conv{
	"http_protocol": str("http_protocol"),
	"virtualhost":   str("virtualhost"),
	"fast_recovery": boolFlag("fast_recovery", false),
	"url": sub("url", map[string]conv{
		"path":             str("path"),
		"digest":           str("digest"),
		"status_code":      numberOrString("status_code"),
		"virtualhost":      str("virtualhost"),
		"regex":            regex,
		"regex_no_match":   boolFlag("regex_no_match", false),
		"regex_min_offset": integer("regex_min_offset"),
		"regex_max_offset": integer("regex_max_offset"),
		"regex_options":    eachArg("regex_options"),
	}, true),
}

// sslBlock converts keepalived's top-level SSL block into global's ssl block.
var sslBlock = sub("ssl", map[string]conv{"ca": str("ca"), "certificate": str("certificate"), "key": str("key"),
	"password": str("password")}, false)

var sslSpec = with(httpSpec, map[string]conv{"enable_sni": boolFlag("enable_sni", false), "sni_name": str("sni_name")})

// regex reads the pattern as keepalived does (the raw line split again with its quotes and
// escapes: "\\d" is \d, "\d" is d).
func regex(c *converter, o *out, n *Node) {
	w, err := splitQuotedEscaped(n.Raw)
	if err != nil || len(w) != 2 {
		c.warn(n, "regex needs exactly one pattern (quote one with spaces); left out")
		return
	}
	c.setAttr(o, n, "regex", cty.StringVal(w[1]))
}

// eachArg writes the arguments as a list of strings (regex_options caseless dotall).
func eachArg(name string) conv {
	return func(c *converter, o *out, n *Node) {
		if len(n.Args()) == 0 {
			c.warn(n, "%s needs a value; left out", n.Keyword())
			return
		}
		vals := make([]cty.Value, len(n.Args()))
		for i, a := range n.Args() {
			vals[i] = cty.StringVal(a)
		}
		c.setAttr(o, n, name, cty.TupleVal(vals))
	}
}

var udpSpec = map[string]conv{
	"payload":          str("payload"),
	"require_reply":    requireReply,
	"min_reply_length": integer("min_reply_length"),
	"max_reply_length": integer("max_reply_length"),
}

var miscSpec = map[string]conv{
	"misc_path":    script("misc_path"),
	"misc_timeout": duration("misc_timeout"),
	"misc_dynamic": boolFlag("misc_dynamic", false),
	"user":         allWords("user"),
}

// with merges keyword tables into a new one.
func with(tables ...map[string]conv) map[string]conv {
	out := map[string]conv{}
	for _, t := range tables {
		for k, v := range t {
			out[k] = v
		}
	}
	return out
}

// droppedReasons say why well-known keepalived features do not carry over.
var droppedReasons = func() map[string]string {
	m := map[string]string{}
	set := func(reason string, kws ...string) {
		for _, k := range kws {
			m[k] = reason
		}
	}
	set("halvs sends no e-mail; use a notify script",
		"notification_email", "notification_email_from", "smtp_server", "smtp_helo_name",
		"smtp_connect_timeout", "smtp_alert", "smtp_alert_vrrp", "smtp_alert_checker", "email_faults")
	set("halvs has no SNMP agent; its state is on the control socket and /metrics",
		"enable_snmp_vrrp", "enable_snmp_checker", "enable_snmp_rfc", "enable_snmp_rfcv2",
		"enable_snmp_rfcv3", "enable_snmp_keepalived", "enable_traps", "snmp_socket", "snmp_name")
	set("halvs has no strict mode (it adds no firewall rules)",
		"vrrp_strict", "strict_mode", "vrrp_iptables", "vrrp_ipsets", "nftables", "nftables_priority")
	set("halvs does not create ipvlan interfaces, nor VMACs for addresses on other interfaces (use_vmac in the instance makes the instance's)", "use_ipvlan", "use_vmac_addr")
	set("halvs refuses no_accept: keepalived enforces it with firewall rules that drop the VIPs' traffic on the MASTER, which IPVS needs to forward", "no_accept")
	set("write global { lvs_sync_daemon { interface = ..., instance = ... } } instead", "lvs_sync_daemon_interface")
	set("halvs does not track BFD sessions", "track_bfd")
	set("halvs has no BFD: no maintained Go BFD implementation interoperates with keepalived's or FRR's bfdd; check the real server with another checker (tcp_check, ping_check) and the peer with VRRP itself",
		"BFD_CHECK", "track_bfd", "bfd_instance")
	set("halvs matches regexes with Go's RE2, which needs no JIT stack", "regex_stack")
	return m
}()

// vipEntry keeps a virtual_ipaddress entry with the options halvs understands (brd, dev,
// scope, label, peer, preferred_lft and the flags no_track, -nodad, noprefixroute, home,
// mngtmpaddr, autojoin) and leaves out the others.
func vipEntry(c *converter, n *Node) (string, bool) {
	w := n.Words
	keep := []string{w[0]}
	withValue := map[string]bool{"brd": true, "broadcast": true, "dev": true, "scope": true, "label": true, "peer": true, "preferred_lft": true}
	flags := map[string]bool{"no_track": true, "-nodad": true, "noprefixroute": true, "home": true, "mngtmpaddr": true, "autojoin": true}
	for i := 1; i < len(w); i++ {
		opt := w[i]
		switch {
		case flags[opt]:
			keep = append(keep, opt)
		case withValue[opt] && i+1 < len(w):
			keep = append(keep, opt, w[i+1])
			i++
		default:
			c.vipOptionLost(n, w[0], opt)
		}
	}
	if slices.Contains(keep, "peer") && strings.Contains(keep[0], "/") {
		// keepalived: "Cannot specify address prefix when specifying peer address - ignoring".
		c.warn(n, "virtual_ipaddress %s: the prefix is left out: with peer, keepalived takes the peer's prefix length", w[0])
		keep[0], _, _ = strings.Cut(keep[0], "/")
	}
	return strings.Join(keep, " "), true
}

// peerEntry keeps a unicast_peer's address and its min_ttl / max_ttl, the only options
// keepalived knows; the rest of an entry with anything else is left out, as keepalived
// stops reading it there.
func peerEntry(c *converter, n *Node) (string, bool) {
	w := n.Words
	keep := []string{w[0]}
	for i := 1; i < len(w); i += 2 {
		if (w[i] != "min_ttl" && w[i] != "max_ttl") || i+1 >= len(w) {
			c.warn(n, "unicast_peer %s: %q left out (keepalived takes min_ttl N and max_ttl N there)", w[0], strings.Join(w[i:], " "))
			break
		}
		keep = append(keep, w[i], w[i+1])
	}
	return strings.Join(keep, " "), true
}

// numberOrString writes a whole number as a number and anything else ("200-299 503",
// "255.255.255.0") as a string.
func numberOrString(name string) conv {
	return func(c *converter, o *out, n *Node) {
		if len(n.Args()) == 0 {
			c.warn(n, "%s needs a value; left out", n.Keyword())
			return
		}
		s := strings.Join(n.Args(), " ")
		if v, ok := number(s, true); ok {
			c.setAttr(o, n, name, v)
			return
		}
		c.setAttr(o, n, name, cty.StringVal(s))
	}
}

func requireReply(c *converter, o *out, n *Node) {
	if len(n.Args()) == 0 {
		c.setAttr(o, n, "require_reply", cty.True)
		return
	}
	c.setAttr(o, n, "require_reply", cty.StringVal(strings.Join(n.Args(), "")))
}

func sorryServer(c *converter, o *out, n *Node) {
	a := n.Args()
	if len(a) == 0 {
		c.warn(n, "sorry_server needs an address; left out")
		return
	}
	c.extra(n, 2)
	c.setAttr(o, n, "sorry_server", cty.StringVal(hostPort(a[0], a[1:]...)))
}

// realServer writes a labelled real_server block.
func realServer(c *converter, o *out, n *Node) {
	if !c.needBlock(n) {
		return
	}
	label, ok := serverLabel(c, n)
	if !ok {
		return
	}
	blk := o.body.AppendNewBlock("real_server", []string{label})
	c.body(newOut(blk.Body(), "real_server \""+label+"\""), n, realServerSpec)
}

// lvsSyncDaemon reads "lvs_sync_daemon IF INSTANCE [id N] [maxlen N] [port N] [ttl N]
// [group ADDR]"; halvs keeps the interface, instance and id.
func lvsSyncDaemon(c *converter, o *out, n *Node) {
	a := n.Args()
	if len(a) < 2 {
		c.warn(n, "lvs_sync_daemon needs an interface and a vrrp_instance; left out")
		return
	}
	if first, ok := o.set["lvs_sync_daemon"]; ok {
		c.warn(n, "lvs_sync_daemon is given again (first at %s); the first is kept", first)
		return
	}
	o.set["lvs_sync_daemon"] = n.Pos
	b := o.body.AppendNewBlock("lvs_sync_daemon", nil).Body()
	b.SetAttributeValue("interface", cty.StringVal(a[0]))
	b.SetAttributeValue("instance", cty.StringVal(a[1]))
	for i := 2; i < len(a); i++ {
		if i+1 >= len(a) {
			c.warn(n, "lvs_sync_daemon: %q has no value; left out", a[i])
			break
		}
		if a[i] == "id" {
			if v, ok := number(a[i+1], true); ok {
				b.SetAttributeValue("sync_id", v)
			} else {
				c.warn(n, "lvs_sync_daemon: id %q is not a number; left out", a[i+1])
			}
		} else {
			c.syncOptionLost(n, a[i], a[i+1])
		}
		i++
	}
}

// lvsTimeouts reads "lvs_timeouts tcp N tcpfin N udp N".
func lvsTimeouts(c *converter, o *out, n *Node) {
	a := n.Args()
	b := o.body.AppendNewBlock("lvs_timeouts", nil).Body()
	for i := 0; i < len(a); i += 2 {
		if i+1 >= len(a) || (a[i] != "tcp" && a[i] != "tcpfin" && a[i] != "udp") {
			c.warn(n, "lvs_timeouts: %q left out (the form is tcp N tcpfin N udp N)", strings.Join(a[i:], " "))
			return
		}
		v, ok := number(a[i+1], true)
		if !ok {
			c.warn(n, "lvs_timeouts: %s %q is not a number of seconds; left out", a[i], a[i+1])
			continue
		}
		b.SetAttributeValue(a[i], v)
	}
}

// vsGroupBody converts virtual_server_group entries: "ADDR[-LAST] PORT" lines become vip
// strings ("10.0.0.1-5:80", "[2001:db8::1-10]:80"), "fwmark N" lines become fwmark numbers.
func vsGroupBody(c *converter, o *out, n *Node) {
	for _, e := range n.Block {
		w := e.Words
		switch {
		case w[0] == "fwmark" && len(w) >= 2:
			v, ok := number(w[1], true)
			if !ok {
				c.warn(e, "virtual_server_group fwmark %q is not a number; left out", w[1])
				continue
			}
			c.extra(e, 1)
			c.appendList(o, e, "fwmark", v)
		case len(w) >= 2 && !e.HasBlock:
			c.extra(e, 1)
			// keepalived 2.2.7 serves "10.0.2.0/29 80" as every address of the subnet (the
			// VM's TestCorpusTables shows it), as halvs serves "10.0.2.0/29:80"; a subnet halvs
			// refuses (host bits set, too large) is then refused by the output's check.
			c.appendList(o, e, "vip", cty.StringVal(hostPort(w[0], w[1])))
		default:
			c.vsgEntryLost(e, o)
		}
	}
}
