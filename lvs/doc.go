// Package lvs owns the desired IPVS table: its model, the minimal diff against the kernel's
// table, the reconciler that applies it through a Backend (moby/ipvs in production), and the
// IPVS connection-synchronisation daemon control.
package lvs
