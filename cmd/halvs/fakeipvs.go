//go:build halvs_fakeipvs

package main

// A test build only (go build -tags halvs_fakeipvs): `halvs run` programs an in-memory IPVS
// table (lvs.Memory) instead of the kernel's, so that host integration tests on a kernel
// without IPVS run the daemon whole, health checks and quorum included (integration's BGP
// tests). A release build never has it.

import (
	"github.com/halvs/halvs/director"
	"github.com/halvs/halvs/lvs"
)

func init() {
	mem := lvs.NewMemory()
	prev := runOptions
	runOptions = func(o director.Options) director.Options {
		o = prev(o)
		o.OpenIPVS = func() (lvs.Backend, error) { return mem, nil }
		o.SetIPVSSysctl = func(string, string) error { return nil }
		return o
	}
}
