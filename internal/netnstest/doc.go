// Package netnstest builds throwaway network labs for root tests: named network namespaces,
// a bridge in a namespace of its own, veth links from namespaces to that bridge, a way to run Go
// code or a command inside a namespace, and cleanup that runs even when the test fails.
//
// Every namespace name carries the prefix the caller gives to New (each test suite has its
// own, such as "hk"), followed by the test's short name and the process ID, so parallel test
// binaries never collide and a leftover is easy to trace to its owner; link names are the
// caller's and must start with the same prefix. Nothing
// is ever created in the caller's own namespace: veth pairs are made inside the bridge namespace
// with their peer placed straight into the target namespace.
//
// NS.Do ends its goroutine with the OS thread still in the namespace, so the runtime retires
// that thread; when it happens to be the process's main thread, which the runtime never
// retires, /proc/self/net shows the test namespace for the rest of the binary. Read
// /proc/thread-self/net inside Do instead.
//
// Tests skip (t.Skip) when not run as root or when the kernel refuses to make namespaces.
package netnstest
