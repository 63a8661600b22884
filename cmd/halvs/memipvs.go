//go:build halvs_memipvs

package main

import (
	"github.com/halvs/halvs/director"
	"github.com/halvs/halvs/lvs"
)

// A halvs built with -tags halvs_memipvs programs an in-memory IPVS table (lvs.Memory, which
// answers as the kernel does) instead of the kernel's, and says so at start. It exists for
// the host integration tests (integration/statuspage_test.go): the host kernel has no IPVS,
// and they need virtual servers whose health checks run for real. Never built for release.
func init() {
	prev := runOptions
	runOptions = func(o director.Options) director.Options {
		o = prev(o)
		if o.OpenIPVS == nil {
			o.OpenIPVS = func() (lvs.Backend, error) {
				if o.Logger != nil {
					o.Logger.Warn("this halvs was built with -tags halvs_memipvs: the IPVS table is in memory, not in the kernel")
				}
				return lvs.NewMemory(), nil
			}
		}
		return o
	}
}
