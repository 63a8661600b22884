//go:build halvs_memipvs

package main

import (
	"github.com/halvs/halvs/director"
	"github.com/halvs/halvs/lvs"
)

// A halvs built with -tags halvs_memipvs programs an in-memory IPVS table (lvs.Memory, which
// answers as the kernel does) instead of the kernel's, writes no IPVS sysctl, and says so at
// start. It exists for the host integration tests (the status page, BGP): the host kernel has
// no IPVS, and they need the whole daemon with health checks and quorum running for real.
// Never built for release.
func init() {
	mem := lvs.NewMemory() // one table for the process, as the kernel's, however often opened
	prev := runOptions
	runOptions = func(o director.Options) director.Options {
		o = prev(o)
		logger := o.Logger
		o.OpenIPVS = func() (lvs.Backend, error) {
			if logger != nil {
				logger.Warn("this halvs was built with -tags halvs_memipvs: the IPVS table is in memory, not in the kernel")
			}
			return mem, nil
		}
		o.SetIPVSSysctl = func(string, string) error { return nil }
		return o
	}
}
