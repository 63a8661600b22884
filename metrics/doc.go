// Package metrics owns halvs' Prometheus metrics (all named halvs_*, units in the names):
// a collector that turns each scrape into a fresh read of the director's status snapshot
// (VRRP state and counters, real-server health and weights, IPVS counters per service and
// destination, sync-daemon role) and event metrics the director records as things happen
// (takeover durations, check results and latencies, reconcile operations, config reloads).
// It serves them at /metrics on global.metrics_listen.
package metrics
