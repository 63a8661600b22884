// Package statuspage owns halvs' live status page: one server-rendered HTML page (VRRP
// instances, virtual and real servers with their IPVS counters and rates, the director's
// recent events) with a small inline script that refreshes it from the status document
// served beside it as JSON. It is read-only: GET and HEAD, no form, no state change, no
// asset from elsewhere. global.metrics_listen serves it at "/" next to /metrics.
package statuspage
