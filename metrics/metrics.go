package metrics

import (
	"context"
	"net/http"
	"runtime"
	"time"

	"github.com/halvs/halvs/control"
	"github.com/halvs/halvs/lvs"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// StatusFunc returns the director's current snapshot; the same function serves the control
// socket. It is called once per scrape.
type StatusFunc func(ctx context.Context) (*control.Status, error)

// Metrics holds halvs' registry. Its Observe methods are safe for concurrent use.
type Metrics struct {
	reg *prometheus.Registry

	takeover        *prometheus.HistogramVec
	checkResults    *prometheus.CounterVec
	checkLatency    *prometheus.HistogramVec
	reconcileOps    *prometheus.CounterVec
	reconcileErrors *prometheus.CounterVec
	reloads         *prometheus.CounterVec
	reloadTime      prometheus.Gauge
}

// New builds the registry: halvs_build_info for version (halvs' version string), the
// snapshot collector over status, the event metrics, and the Go runtime and process
// collectors.
func New(status StatusFunc, version string) *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		takeover: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "halvs_vrrp_takeover_duration_seconds",
			Help: "Time from the last advert heard from the old master (or its priority-0 advert) to this router owning the VIPs as MASTER.",
			// VRRP takeovers span a few ms (priority 0, 100 ms adverts) to ~4 s (1 s adverts).
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2, 3, 4, 5, 10},
		}, []string{"vrrp_instance"}),
		checkResults: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "halvs_check_results_total",
			Help: "Health check results by virtual server, real server, checker and result (success or failure).",
		}, []string{"virtual_server", "protocol", "real_server", "checker", "result"}),
		checkLatency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "halvs_check_duration_seconds",
			Help:    "How long each health check took, failures included.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"virtual_server", "protocol", "real_server", "checker"}),
		reconcileOps: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "halvs_ipvs_reconcile_operations_total",
			Help: "IPVS changes applied to the kernel, by operation (add-service, update-destination, ...).",
		}, []string{"op"}),
		reconcileErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "halvs_ipvs_reconcile_errors_total",
			Help: "IPVS changes the kernel refused after retries, by operation.",
		}, []string{"op"}),
		reloads: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "halvs_config_reloads_total",
			Help: "Config reloads (SIGHUP or the control socket) by result: success or failure (the old config stays).",
		}, []string{"result"}),
		reloadTime: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "halvs_config_last_reload_success_timestamp_seconds",
			Help: "When the config was last loaded successfully (startup or reload), as a Unix time.",
		}),
	}
	for _, r := range []string{"success", "failure"} {
		m.reloads.WithLabelValues(r) // both series exist from the start, so rate() works at once
	}
	buildInfo := prometheus.NewGauge(prometheus.GaugeOpts{
		Name:        "halvs_build_info",
		Help:        "Always 1; its labels name the halvs version and the Go version it was built with.",
		ConstLabels: prometheus.Labels{"version": version, "goversion": runtime.Version()},
	})
	buildInfo.Set(1)
	m.reg.MustRegister(buildInfo, m.takeover, m.checkResults, m.checkLatency, m.reconcileOps,
		m.reconcileErrors, m.reloads, m.reloadTime, newStatusCollector(status),
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Handler serves the metrics in the Prometheus exposition formats.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

// ObserveTakeover records how long one takeover took by the named vrrp_instance.
func (m *Metrics) ObserveTakeover(instance string, d time.Duration) {
	m.takeover.WithLabelValues(instance).Observe(d.Seconds())
}

// ObserveCheck records one health check result. The virtual server and protocol are
// labelled as in the snapshot's series (protocol empty for a firewall mark), the checker as
// in halvs_check_last_success ("tcp_check 10.0.0.2:80").
func (m *Metrics) ObserveCheck(virtualServer, protocol, realServer, checker string, ok bool, latency time.Duration) {
	m.CheckSeries(virtualServer, protocol, realServer, checker).Observe(ok, latency)
}

// CheckSeries returns the series of one real server's checker, labelled as ObserveCheck's.
// A caller that observes thousands of checks a second keeps them: looking a series up by its
// labels hashes every label value, which was most of the cost of recording a result.
func (m *Metrics) CheckSeries(virtualServer, protocol, realServer, checker string) CheckSeries {
	return CheckSeries{
		success: m.checkResults.WithLabelValues(virtualServer, protocol, realServer, checker, "success"),
		failure: m.checkResults.WithLabelValues(virtualServer, protocol, realServer, checker, "failure"),
		latency: m.checkLatency.WithLabelValues(virtualServer, protocol, realServer, checker),
	}
}

// CheckSeries are one checker's result counters and latency histogram.
type CheckSeries struct {
	success, failure prometheus.Counter
	latency          prometheus.Observer
}

// Observe records one result.
func (s CheckSeries) Observe(ok bool, latency time.Duration) {
	if ok {
		s.success.Inc()
	} else {
		s.failure.Inc()
	}
	s.latency.Observe(latency.Seconds())
}

// ObserveReconcile records what one reconcile (or one weight change) did to the kernel.
func (m *Metrics) ObserveReconcile(r lvs.Report) {
	for _, o := range r.Applied {
		m.reconcileOps.WithLabelValues(o.Kind.String()).Inc()
	}
	for _, e := range r.Failed {
		m.reconcileErrors.WithLabelValues(e.Op.Kind.String()).Inc()
	}
}

// ObserveReload records a config load: err nil is a success at time at.
func (m *Metrics) ObserveReload(err error, at time.Time) {
	if err != nil {
		m.reloads.WithLabelValues("failure").Inc()
		return
	}
	m.reloads.WithLabelValues("success").Inc()
	m.reloadTime.Set(float64(at.UnixNano()) / 1e9)
}

// ObserveLoad records the config loaded at startup: the last-success time, without
// counting a reload.
func (m *Metrics) ObserveLoad(at time.Time) {
	m.reloadTime.Set(float64(at.UnixNano()) / 1e9)
}
