// Package director wires a validated config to the VRRP instances, the LVS reconciler and the
// health checks, and owns reload, the status snapshot and the metrics.
//
// Translation (TranslateVRRP, TranslateHealth, LVSTable) is pure: config in, the other
// packages' plain configurations out. A Director (New, Run, Reload, Status) runs one
// configuration: VRRP instances on shared transports, the vrrp_scripts they track, the IPVS
// table on every director whatever its VRRP state, health events turned into weights, and
// the IPVS sync daemon's role following its instance. Work that touches the kernel runs on
// queues, so neither the advert path nor the health checks ever wait for it.
package director
