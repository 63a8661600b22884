// Package director wires a validated config to the VRRP instances, the LVS reconciler and the
// health checks, and owns reload, the status snapshot and the metrics.
package director
