// Package metrics owns halvs' Prometheus metrics (all named halvs_*, units in the names):
// a collector that turns each scrape into a fresh read of the director's status snapshot
// (VRRP state, counters and tracked objects, real-server health and weights, the kernel's
// IPVS counters and rates per service and destination under node_exporter's names, the
// sync-daemon role), halvs_build_info, and event metrics the director records as things happen
// (takeover durations, check results and latencies, reconcile operations, config reloads).
// It serves them at /metrics on global.metrics_listen.
package metrics
