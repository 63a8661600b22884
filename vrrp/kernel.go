package vrrp

import "github.com/halvs/halvs/vrrp/kernel"

// The kernel-facing types of an instance are defined in package kernel, which imports nothing
// of vrrp, so that vrrptest's fakes of them can serve vrrp's own tests (as os.FileInfo is
// io/fs's). See there for what each promises.
type (
	Packet      = kernel.Packet
	Transport   = kernel.Transport
	VIP         = kernel.VIP
	Addresser   = kernel.Addresser
	Announcer   = kernel.Announcer
	LinkWatcher = kernel.LinkWatcher
)
