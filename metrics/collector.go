package metrics

import (
	"context"
	"strconv"
	"time"

	"github.com/halvs/halvs/control"
	"github.com/halvs/halvs/vrrp"
	"github.com/prometheus/client_golang/prometheus"
)

// vrrpStates are the state label values, all present on every scrape (one is 1, the rest 0),
// as Prometheus' "enum as gauges" convention asks.
var vrrpStates = []string{"INIT", "BACKUP", "MASTER", "FAULT", "STOP"}

var syncRoles = []string{"master", "backup", "none"}

// dropReasons are the reason label values of halvs_vrrp_advert_drops_total, all present on
// every scrape so that a flood shows as a rate from its first drop; unroutedReasons those of
// halvs_vrrp_unrouted_drops_total.
var (
	dropReasons     = reasonNames(vrrp.DropReasons())
	unroutedReasons = reasonNames([]vrrp.DropReason{vrrp.DropLength, vrrp.DropVRID})
)

func reasonNames(rs []vrrp.DropReason) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r.String()
	}
	return out
}

// scrapeTimeout bounds one snapshot read, so a wedged director cannot hang Prometheus.
const scrapeTimeout = 5 * time.Second

func desc(name, help string, labels ...string) *prometheus.Desc {
	return prometheus.NewDesc(name, help, labels, nil)
}

func with(labels []string, more ...string) []string {
	return append(append([]string(nil), labels...), more...)
}

var (
	// instLabels identify a vrrp_instance. Not "instance": Prometheus sets that label to the
	// scrape target and renames a target's own to exported_instance.
	instLabels = []string{"vrrp_instance", "interface", "vrid"}
	vsLabels   = []string{"virtual_server", "protocol"}
	rsLabels   = []string{"virtual_server", "protocol", "real_server"}

	statusOK   = desc("halvs_status_snapshot_success", "1 if the director's status could be read for this scrape; the other halvs_ series are missing when 0.")
	vrrpState  = desc("halvs_vrrp_state", "1 for the VRRP state the instance is in, 0 for the others.", with(instLabels, "state")...)
	vrrpPrio   = desc("halvs_vrrp_priority", "Configured VRRP priority.", instLabels...)
	vrrpEff    = desc("halvs_vrrp_effective_priority", "Priority after track_interface/script/virtual_server weights.", instLabels...)
	vrrpTrans  = desc("halvs_vrrp_transitions_total", "Entries into each VRRP state.", with(instLabels, "state")...)
	vrrpSent   = desc("halvs_vrrp_adverts_sent_total", "VRRP adverts sent.", instLabels...)
	vrrpRcvd   = desc("halvs_vrrp_adverts_received_total", "VRRP adverts received and accepted.", instLabels...)
	vrrpP0Sent = desc("halvs_vrrp_priority_zero_sent_total", "Priority-0 adverts sent (graceful hand-overs).", instLabels...)
	vrrpP0Rcvd = desc("halvs_vrrp_priority_zero_received_total", "Priority-0 adverts received from a master stepping down.", instLabels...)
	vrrpDrops  = desc("halvs_vrrp_advert_drops_total", "Received adverts rejected (or, for interval_mismatch_v3 and vip_mismatch, accepted but odd), by reason; queue_full: dropped unread by a flooded instance.", with(instLabels, "reason")...)
	vrrpUnrout = desc("halvs_vrrp_unrouted_drops_total", "Received VRRP messages no instance could take, by reason: vrid (no instance has that VRID), length (too short to carry one).", "reason")
	vrrpLimit  = desc("halvs_vrrp_replies_limited_total", "Lower-priority adverts a MASTER did not answer, having answered one within the advert interval.", instLabels...)
	vrrpLogSup = desc("halvs_vrrp_log_lines_suppressed_total", "Advert-path log lines not written, over their rate limit.", instLabels...)
	vrrpSendEr = desc("halvs_vrrp_send_errors_total", "Adverts the kernel refused to send.", instLabels...)
	vrrpRepair = desc("halvs_vrrp_vip_repairs_total", "VIPs found missing while MASTER and added back.", instLabels...)
	vrrpRtRep  = desc("halvs_vrrp_route_repairs_total", "virtual_routes and virtual_rules found missing while MASTER and added back.", instLabels...)
	vrrpKernEr = desc("halvs_vrrp_kernel_errors_total", "Failed VIP additions, removals, checks and announcements.", instLabels...)
	vrrpScript = desc("halvs_vrrp_script_errors_total", "Notify scripts that failed or timed out.", instLabels...)
	vrrpSince  = desc("halvs_vrrp_state_since_timestamp_seconds", "When the instance entered its current state, as a Unix time.", instLabels...)
	trackUp    = desc("halvs_vrrp_tracked_object_up", "1 if the tracked object (kind interface, script, virtual_server or process) is up, 0 if down, as the object itself reports it (before reverse); absent until its first result.", with(instLabels, "kind", "object")...)
	trackWt    = desc("halvs_vrrp_tracked_object_weight", "Configured weight of the tracked object (kind interface, script, virtual_server, file or process): see docs/operations.md for how each kind applies it.", with(instLabels, "kind", "object")...)
	trackFile  = desc("halvs_vrrp_tracked_file_value", "The number in the track_file: times the weight (negated with reverse) it is added to the priority, -254 or less is FAULT; with weight 0 a non-zero number is FAULT. Absent until read.", with(instLabels, "object")...)

	vsQuorum  = desc("halvs_virtual_server_quorum_up", "1 while the virtual server's alive weight meets its quorum.", vsLabels...)
	vsAlive   = desc("halvs_virtual_server_alive_weight", "Sum of the weights of the real servers that are up.", vsLabels...)
	rsHealthy = desc("halvs_real_server_healthy", "1 if all of the real server's checkers pass, 0 if one fails (absent until the first check).", rsLabels...)
	rsWeight  = desc("halvs_real_server_weight", "Configured weight of the real server.", rsLabels...)
	rsEff     = desc("halvs_real_server_effective_weight", "Weight the director asks IPVS to hold for the real server (0 when inhibited).", rsLabels...)
	rsInTable = desc("halvs_real_server_in_ipvs_table", "1 if the real server is in the IPVS table.", rsLabels...)
	chkOK     = desc("halvs_check_last_success", "1 if the real server's most recent check passed.", with(rsLabels, "checker")...)
	chkLat    = desc("halvs_check_last_duration_seconds", "How long the real server's most recent check took.", with(rsLabels, "checker")...)

	syncRole = desc("halvs_ipvs_sync_daemon_role", "1 for the IPVS connection-sync role this director has, 0 for the others.", "role")
)

// snapshotDescs are every series the collector may send, for Describe.
var snapshotDescs = []*prometheus.Desc{statusOK, vrrpState, vrrpPrio, vrrpEff, vrrpTrans, vrrpSent, vrrpRcvd,
	vrrpP0Sent, vrrpP0Rcvd, vrrpDrops, vrrpUnrout, vrrpLimit, vrrpLogSup, vrrpSendEr, vrrpRepair, vrrpKernEr,
	vrrpScript, vrrpSince, trackUp, trackWt, trackFile,
	vsQuorum, vsAlive, rsHealthy, rsWeight, rsEff, rsInTable, chkOK, chkLat, syncRole}

// statusCollector reads the snapshot on every scrape (an "unchecked" collector would hide
// its series from the registry's consistency checks, so every Desc is listed).
type statusCollector struct {
	status StatusFunc
}

func newStatusCollector(f StatusFunc) *statusCollector { return &statusCollector{status: f} }

func (c *statusCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range snapshotDescs {
		ch <- d
	}
	for _, d := range ipvsDescs {
		ch <- d
	}
	for _, d := range bgpDescs { // collector_bgp.go
		ch <- d
	}
}

func (c *statusCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), scrapeTimeout)
	defer cancel()
	st, err := c.status(ctx)
	if err != nil || st == nil {
		ch <- gauge(statusOK, 0)
		return
	}
	ch <- gauge(statusOK, 1)
	for i := range st.Instances {
		collectInstance(ch, &st.Instances[i])
	}
	for _, r := range unroutedReasons {
		ch <- counter(vrrpUnrout, st.UnroutedDrops[r], r)
	}
	for i := range st.VirtualServers {
		collectVirtualServer(ch, &st.VirtualServers[i])
	}
	collectIPVS(ch, st.VirtualServers)
	collectBGP(ch, st.BGP) // collector_bgp.go
	if sd := st.SyncDaemon; sd != nil {
		for _, r := range syncRoles {
			ch <- gauge(syncRole, b2f(sd.Role == r), r)
		}
	}
}

func collectInstance(ch chan<- prometheus.Metric, in *control.Instance) {
	n := []string{in.Name, in.Interface, strconv.Itoa(in.VRID)}
	for _, s := range vrrpStates {
		ch <- gauge(vrrpState, b2f(in.State == s), with(n, s)...)
	}
	ch <- gauge(vrrpPrio, float64(in.Priority), n...)
	ch <- gauge(vrrpEff, float64(in.EffectivePriority), n...)
	if !in.Since.IsZero() {
		ch <- gauge(vrrpSince, float64(in.Since.UnixNano())/1e9, n...)
	}
	for _, tr := range in.Trackers {
		l := with(n, tr.Kind, tr.Name)
		ch <- gauge(trackWt, float64(tr.Weight), l...)
		switch {
		case tr.State == "up", tr.State == "down":
			ch <- gauge(trackUp, b2f(tr.State == "up"), l...)
		case tr.Value != nil:
			ch <- gauge(trackFile, float64(*tr.Value), with(n, tr.Name)...)
		}
	}
	k := &in.Counters
	for _, s := range vrrpStates {
		ch <- counter(vrrpTrans, k.Transitions[s], with(n, s)...)
	}
	for _, r := range dropReasons {
		ch <- counter(vrrpDrops, k.Drops[r], with(n, r)...)
	}
	ch <- counter(vrrpLimit, k.RepliesLimited, n...)
	ch <- counter(vrrpLogSup, k.LogSuppressed, n...)
	ch <- counter(vrrpSent, k.AdvertsSent, n...)
	ch <- counter(vrrpRcvd, k.AdvertsReceived, n...)
	ch <- counter(vrrpP0Sent, k.PriorityZeroSent, n...)
	ch <- counter(vrrpP0Rcvd, k.PriorityZeroReceived, n...)
	ch <- counter(vrrpSendEr, k.SendErrors, n...)
	ch <- counter(vrrpRepair, k.VIPRepairs, n...)
	ch <- counter(vrrpRtRep, k.RouteRepairs, n...)
	ch <- counter(vrrpKernEr, k.KernelErrors, n...)
	ch <- counter(vrrpScript, k.ScriptErrors, n...)
}

func collectVirtualServer(ch chan<- prometheus.Metric, vs *control.VirtualServer) {
	v := []string{vs.Name, vs.Protocol}
	ch <- gauge(vsQuorum, b2f(vs.QuorumUp), v...)
	ch <- gauge(vsAlive, float64(vs.AliveWeight), v...)
	for i := range vs.RealServers {
		rs := &vs.RealServers[i]
		r := with(v, rs.Addr.String())
		switch rs.Health {
		case control.HealthUp, control.HealthDown:
			ch <- gauge(rsHealthy, b2f(rs.Health == control.HealthUp), r...)
		}
		ch <- gauge(rsWeight, float64(rs.Weight), r...)
		ch <- gauge(rsEff, float64(rs.EffectiveWeight), r...)
		ch <- gauge(rsInTable, b2f(rs.InTable), r...)
		if lc := rs.LastCheck; lc != nil {
			ch <- gauge(chkOK, b2f(lc.OK), with(r, lc.Checker)...)
			ch <- gauge(chkLat, time.Duration(lc.Latency).Seconds(), with(r, lc.Checker)...)
		}
	}
}

func gauge(d *prometheus.Desc, v float64, labels ...string) prometheus.Metric {
	return prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
}

func counter(d *prometheus.Desc, v uint64, labels ...string) prometheus.Metric {
	return prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v), labels...)
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
