package keepalivedconf

import (
	"fmt"
	"strings"
)

// What a keyword left out costs. A cosmetic one changes how keepalived runs as a process or
// whom it tells (process tuning, SNMP, DBus, e-mail, dump files): a warning. Any other
// keepalived keyword halvs cannot carry over is behavioural, since it may change when a
// failover happens, what the VIP routes, or which real servers are checked and how: an
// error that says in one line what changes, and that makes halvs convert exit 1 unless
// --allow-loss. A word keepalived would not accept either costs nothing (keepalived
// ignores it too): a warning.

// cosmeticKeywords are the keepalived keywords whose loss changes no behaviour halvs has.
var cosmeticKeywords = func() map[string]bool {
	m := map[string]bool{}
	for _, k := range strings.Fields(`
		notification_email notification_email_from smtp_server smtp_helo_name
		smtp_connect_timeout smtp_alert smtp_alert_vrrp smtp_alert_checker email_faults
		no_email_faults no_checker_emails
		enable_snmp_vrrp enable_snmp_checker enable_snmp_rfc enable_snmp_rfcv2 enable_snmp_rfcv3
		enable_snmp_keepalived enable_traps snmp_socket snmp_name
		snmp_rs_stats_update_interval snmp_vs_stats_update_interval
		enable_dbus dbus_service_name dbus_no_interface_name
		child_wait_time use_pid_dir config_save_dir tmp_config_directory json_dump_file
		json_version state_dump_file stats_dump_file umask log_unknown_vrids log_all_failures
		checker_log_all_failures random_seed use_symlink_paths iproute_etc_dir iproute_usr_dir
		reload_check_config reload_file reload_time_file reload_repeat data_use_instance debug
		process_names kernel_rx_buf_size regex_stack vrrp_skip_check_adv_addr
		skip_check_adv_addr nftables_counters`) {
		m[k] = true
	}
	return m
}()

// cosmeticSuffixes are the process-tuning families: vrrp_priority, checker_rlimit_rttime,
// bfd_cpu_affinity, lvs_netlink_cmd_rcv_bufs_force, ...
var cosmeticSuffixes = []string{"_rt_priority", "_rlimit_rtime", "_rlimit_rttime", "_cpu_affinity",
	"_no_swap", "_process_name", "_rcv_bufs", "_rcv_bufs_force", "_rx_bufs_multiplier", "_rx_bufs_policy"}

func cosmetic(kw string) bool {
	if cosmeticKeywords[kw] {
		return true
	}
	switch kw {
	case "checker_priority", "bfd_priority":
		return true
	}
	for _, s := range cosmeticSuffixes {
		if strings.HasSuffix(kw, s) {
			return true
		}
	}
	return false
}

// lose reports a keyword left out whose behaviour is lost: an error that ends with the
// consequence.
func (c *converter) lose(n *Node, consequence, format string, args ...any) {
	c.diags = append(c.diags, Diagnostic{Severity: Error, Loss: true, Pos: n.Pos,
		Msg: fmt.Sprintf(format, args...) + "; " + consequence})
}

// leftOut reports a keepalived keyword left out, for reason: a warning when cosmetic, a
// loss with its consequence otherwise.
func (c *converter) leftOut(n *Node, where, reason string) {
	kw := n.Keyword()
	if cosmetic(kw) {
		c.warn(n, "%s in %s left out: %s", kw, where, reason)
		return
	}
	c.lose(n, consequence(kw, where), "%s in %s left out: %s", kw, where, reason)
}

// consequence says in a few words what changes without keyword kw in block where (as
// out.what writes it: `vrrp_instance "VI_1"`, `url of http_get of real_server "10.0.0.1:80"`).
func consequence(kw, where string) string {
	inst := labelOf(where, "vrrp_instance")
	switch kw {
	case "vrrp_strict", "strict_mode", "vrrp_iptables", "vrrp_ipsets", "nftables", "nftables_priority",
		"nftables_ifindex", "nftables_ipvs", "nftables_ipvs_priority", "nftables_ipvs_start_fwmark":
		return "traffic to the VIPs that keepalived's firewall rules would drop reaches the master"
	case "use_ipvlan", "use_vmac_addr":
		return fmt.Sprintf("vrrp_instance %s holds its VIPs on its interface, with that interface's MAC address, not on a virtual MAC", inst)
	case "no_accept":
		return fmt.Sprintf("the MASTER of vrrp_instance %s accepts traffic to its VIPs, which keepalived's firewall rules would drop", inst)
	case "track_file", "track_process", "track_bfd", "track_group":
		return fmt.Sprintf("vrrp_instance %s no longer changes its priority or goes to FAULT on what %s tracks", inst, kw)
	case "lvs_sync_daemon_interface":
		return "no IPVS sync daemon runs unless global lvs_sync_daemon is written: connections break on failover"
	case "vrrp_delay_after_boot":
		return "instances start at once instead of waiting (vrrp_startup_delay waits from the start of halvs)"
	}
	switch {
	case strings.Contains(where, "real_server"):
		return fmt.Sprintf("real server %s is checked without %s", labelOf(where, "real_server"), kw)
	case strings.HasPrefix(where, "virtual_server_group"):
		return fmt.Sprintf("virtual_server_group %s runs without %s", labelOf(where, "virtual_server_group"), kw)
	case strings.HasPrefix(where, "virtual_server"):
		return fmt.Sprintf("virtual server %s is programmed and checked without %s", labelOf(where, "virtual_server"), kw)
	case inst != "":
		return fmt.Sprintf("vrrp_instance %s runs without %s", inst, kw)
	case strings.HasPrefix(where, "vrrp_sync_group"), strings.HasPrefix(where, "vrrp_script"):
		return fmt.Sprintf("%s runs without %s", where, kw)
	case where == "the top level":
		return fmt.Sprintf("nothing of the %s block is carried over", kw)
	}
	return fmt.Sprintf("every director runs without %s", kw)
}

// labelOf returns the label after `kind "` in where, e.g. 10.0.0.12:443 for real_server.
func labelOf(where, kind string) string {
	i := strings.Index(where, kind+` "`)
	if i < 0 {
		return ""
	}
	rest := where[i+len(kind)+2:]
	if j := strings.IndexByte(rest, '"'); j >= 0 {
		return rest[:j]
	}
	return rest
}

// isCheckerKeyword: a keepalived checker block (TCP_CHECK, HTTP_GET, BFD_CHECK, ...).
func isCheckerKeyword(kw string) bool {
	return keepalivedKeywords[kw] && (strings.HasSuffix(kw, "_CHECK") || strings.HasSuffix(kw, "_GET"))
}

// lostCheckers reports the checker blocks of a real server that were left out: the real
// server keeps its other checkers, or has none left and stays in the table whatever its
// health.
func (c *converter) lostCheckers(o *out, lost []*Node) {
	rs := labelOf(o.what, "real_server")
	left := 0
	for _, b := range o.body.Blocks() {
		if t := b.Type(); strings.HasSuffix(t, "_check") || strings.HasSuffix(t, "_get") {
			left++
		}
	}
	for _, n := range lost {
		kw := n.Keyword()
		reason := droppedReasons[kw]
		if reason == "" {
			reason = "halvs does not support it"
		}
		if left == 0 {
			c.lose(n, fmt.Sprintf("real server %s has no checker now and stays in the table whatever its health", rs),
				"%s in %s left out: %s", kw, o.what, reason)
		} else {
			c.lose(n, fmt.Sprintf("real server %s is no longer checked by %s: its other checkers alone decide its health", rs, kw),
				"%s in %s left out: %s", kw, o.what, reason)
		}
	}
}

// vipOptionLost reports a virtual_ipaddress option left out (vipEntry keeps peer and
// noprefixroute, which change the routes the VIP brings; a loss if ever left out).
func (c *converter) vipOptionLost(n *Node, vip, opt string) {
	msg := "virtual_ipaddress %s: option %q left out (halvs does not support it)"
	if name := strings.Fields(opt)[0]; name == "peer" || name == "noprefixroute" {
		c.lose(n, fmt.Sprintf("VIP %s is added without %s, so the routes it brings differ", vip, name), msg, vip, opt)
		return
	}
	c.warn(n, msg, vip, opt)
}

// syncOptionLost reports an lvs_sync_daemon option left out: the port, TTL and multicast
// group decide whether the sync daemons reach each other; maxlen does not.
func (c *converter) syncOptionLost(n *Node, opt, val string) {
	msg := "lvs_sync_daemon: %q left out (halvs uses the kernel's default)"
	if opt == "maxlen" {
		c.warn(n, msg, opt+" "+val)
		return
	}
	c.lose(n, fmt.Sprintf("the sync daemon uses the kernel's default %s and does not reach a peer set to %s: connections break on failover", opt, val), msg, opt+" "+val)
}

// vsgEntryLost reports a virtual_server_group entry halvs cannot read: the group's
// virtual servers no longer serve it.
func (c *converter) vsgEntryLost(e *Node, o *out) {
	c.lose(e, fmt.Sprintf("virtual_server_group %s no longer holds it: its virtual servers do not serve it", labelOf(o.what, "virtual_server_group")),
		"virtual_server_group entry %q left out: halvs needs ADDRESS PORT or fwmark N", strings.Join(e.Words, " "))
}

// Losses counts the behavioural losses among the diagnostics.
func (ds Diagnostics) Losses() int {
	n := 0
	for _, d := range ds {
		if d.Loss {
			n++
		}
	}
	return n
}
