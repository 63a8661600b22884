package metrics

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/halvs/halvs/control"
	"github.com/prometheus/client_golang/prometheus"
)

// The IPVS series are per kernel service and destination, named and labelled as
// node_exporter's IPVS collector names them (node_ipvs_backend_connections_active and its
// labels local_address, local_port, remote_address, remote_port, proto, local_mark), under
// the halvs_ prefix, so that dashboards written for it work with the prefix changed. Its
// node_ipvs_connections_total and the like count the host's whole IPVS; halvs' carry the
// service labels (sum them for the host's total of halvs' services). The counters are the
// kernel's 64-bit ones; the _per_second gauges are the rates the kernel's estimator computes.
var (
	svcLabels     = []string{"local_address", "local_port", "proto", "local_mark"}
	backendLabels = []string{"local_address", "local_port", "remote_address", "remote_port", "proto", "local_mark"}

	backendActive = desc("halvs_ipvs_backend_connections_active", "Established connections IPVS holds to the destination (ipvsadm's ActiveConn).", backendLabels...)
	backendInact  = desc("halvs_ipvs_backend_connections_inactive", "Connections to the destination in other states, FIN_WAIT, TIME_WAIT... (ipvsadm's InActConn).", backendLabels...)
	backendWeight = desc("halvs_ipvs_backend_weight", "Weight the kernel's IPVS table holds for the destination.", backendLabels...)

	svcCounters     = ipvsSeries("halvs_ipvs_", "service", svcLabels)
	backendCounters = ipvsSeries("halvs_ipvs_backend_", "destination", backendLabels)

	ipvsDescs = append([]*prometheus.Desc{backendActive, backendInact, backendWeight},
		append(svcCounters.descs(), backendCounters.descs()...)...)
)

// ipvsStatSeries are the counters and rates of one kind of IPVS object.
type ipvsStatSeries struct {
	conns, inPkts, outPkts, inBytes, outBytes *prometheus.Desc
	cps, inPPS, outPPS, inBPS, outBPS         *prometheus.Desc
}

// ipvsSeries names the counters prefix+"connections_total" and so on, and the rates
// prefix+"connections_per_second"; what is "service" or "destination".
func ipvsSeries(prefix, what string, labels []string) *ipvsStatSeries {
	d := func(name, help string) *prometheus.Desc {
		return desc(prefix+name, fmt.Sprintf(help, what), labels...)
	}
	return &ipvsStatSeries{
		conns:    d("connections_total", "Connections IPVS scheduled to the %s."),
		inPkts:   d("incoming_packets_total", "Packets IPVS forwarded from clients to the %s."),
		outPkts:  d("outgoing_packets_total", "Packets IPVS forwarded from the %s to clients (none for DR and TUN)."),
		inBytes:  d("incoming_bytes_total", "Bytes IPVS forwarded from clients to the %s."),
		outBytes: d("outgoing_bytes_total", "Bytes IPVS forwarded from the %s to clients (none for DR and TUN)."),
		cps:      d("connections_per_second", "Connections per second to the %s, as the kernel's rate estimator last computed it (ipvsadm's CPS)."),
		inPPS:    d("incoming_packets_per_second", "Packets per second from clients to the %s, as the kernel's rate estimator last computed it (InPPS)."),
		outPPS:   d("outgoing_packets_per_second", "Packets per second from the %s to clients, as the kernel's rate estimator last computed it (OutPPS)."),
		inBPS:    d("incoming_bytes_per_second", "Bytes per second from clients to the %s, as the kernel's rate estimator last computed it (InBPS)."),
		outBPS:   d("outgoing_bytes_per_second", "Bytes per second from the %s to clients, as the kernel's rate estimator last computed it (OutBPS)."),
	}
}

func (s *ipvsStatSeries) descs() []*prometheus.Desc {
	return []*prometheus.Desc{s.conns, s.inPkts, s.outPkts, s.inBytes, s.outBytes,
		s.cps, s.inPPS, s.outPPS, s.inBPS, s.outBPS}
}

func (s *ipvsStatSeries) collect(ch chan<- prometheus.Metric, st *control.IPVSStats, labels []string) {
	ch <- counter(s.conns, st.Connections, labels...)
	ch <- counter(s.inPkts, st.PacketsIn, labels...)
	ch <- counter(s.outPkts, st.PacketsOut, labels...)
	ch <- counter(s.inBytes, st.BytesIn, labels...)
	ch <- counter(s.outBytes, st.BytesOut, labels...)
	ch <- gauge(s.cps, float64(st.CPS), labels...)
	ch <- gauge(s.inPPS, float64(st.InPPS), labels...)
	ch <- gauge(s.outPPS, float64(st.OutPPS), labels...)
	ch <- gauge(s.inBPS, float64(st.InBPS), labels...)
	ch <- gauge(s.outBPS, float64(st.OutBPS), labels...)
}

// ipvsSum is the sum of the objects that share one label set: node_exporter sums them too
// (an IPv4 and an IPv6 firewall-mark service of one mark have the same labels).
type ipvsSum struct {
	labels        []string
	backend       bool // a destination's, else a service's
	stats         control.IPVSStats
	active, inact uint64
	weight        int
}

// collectIPVS sends the series of every kernel service of vss and of its destinations.
func collectIPVS(ch chan<- prometheus.Metric, vss []control.VirtualServer) {
	var order []string
	sums := map[string]*ipvsSum{}
	add := func(labels []string) *ipvsSum {
		key := strings.Join(labels, "\x00")
		s := sums[key]
		if s == nil {
			s = &ipvsSum{labels: labels}
			sums[key] = s
			order = append(order, key)
		}
		return s
	}
	for i := range vss {
		for j := range vss[i].Services {
			svc := &vss[i].Services[j]
			local := serviceLabels(svc)
			addStats(&add(local).stats, &svc.Stats)
			for _, d := range svc.Destinations {
				b := add([]string{local[0], local[1], d.Addr.Addr().String(), strconv.Itoa(int(d.Addr.Port())), local[2], local[3]})
				addStats(&b.stats, &d.Stats)
				b.active += d.ActiveConns
				b.inact += d.InactiveConns
				b.weight += d.Weight
				b.backend = true
			}
		}
	}
	for _, key := range order {
		s := sums[key]
		if !s.backend {
			svcCounters.collect(ch, &s.stats, s.labels)
			continue
		}
		ch <- gauge(backendActive, float64(s.active), s.labels...)
		ch <- gauge(backendInact, float64(s.inact), s.labels...)
		ch <- gauge(backendWeight, float64(s.weight), s.labels...)
		backendCounters.collect(ch, &s.stats, s.labels)
	}
}

// serviceLabels are a service's local_address, local_port, proto and local_mark as
// node_exporter spells them from /proc/net/ip_vs: a firewall-mark service is proto FWM, its
// mark 8 hex digits, its address empty and its port 0.
func serviceLabels(s *control.IPVSService) []string {
	if s.FWMark != 0 {
		return []string{"", "0", "FWM", fmt.Sprintf("%08X", s.FWMark)}
	}
	return []string{s.Addr.Addr().String(), strconv.Itoa(int(s.Addr.Port())), s.Protocol, ""}
}

func addStats(dst, s *control.IPVSStats) {
	dst.Connections += s.Connections
	dst.PacketsIn += s.PacketsIn
	dst.PacketsOut += s.PacketsOut
	dst.BytesIn += s.BytesIn
	dst.BytesOut += s.BytesOut
	dst.CPS += s.CPS
	dst.InPPS += s.InPPS
	dst.OutPPS += s.OutPPS
	dst.InBPS += s.InBPS
	dst.OutBPS += s.OutBPS
}
