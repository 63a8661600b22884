// Package integration holds halvs' end-to-end tests: network namespaces on the host (build tag
// integration, run as root by `make integration`) and the VM tier with a real IPVS kernel
// (integration/vm, run by `make vm-test`).
package integration
