// Package kernel is where a VRRP instance meets the kernel: the packet a Transport receives,
// the VIP an Addresser adds, and the interfaces (Transport, Addresser, Announcer, LinkWatcher)
// behind which vrrp's runner is tested with fakes (vrrptest) and each real implementation on
// its own in a network namespace. It imports nothing of vrrp, so that vrrptest can fake these
// for vrrp's own tests; vrrp names them by alias (vrrp.Packet, vrrp.VIP, ...).
package kernel
