// Package netnstest builds throwaway network labs for root tests: named network namespaces,
// a bridge in a namespace of its own, veth links from namespaces to that bridge, a way to run Go
// code or a command inside a namespace, and cleanup that runs even when the test fails.
//
// Every namespace and link name carries the prefix the caller gives to New (each helper and
// test suite has its own, such as "hk"), followed by the test's short name and the process ID,
// so parallel test binaries never collide and a leftover is easy to trace to its owner. Nothing
// is ever created in the caller's own namespace: veth pairs are made inside the bridge namespace
// with their peer placed straight into the target namespace.
//
// Tests skip (t.Skip) when not run as root or when the kernel refuses to make namespaces.
package netnstest
