// Package vrrptest holds in-memory fakes of the kernel a VRRP instance touches, for the tests
// of vrrp and of the packages that run it: a Segment whose Ports are Transports, an Addresser,
// an Announcer and a LinkWatcher (Links). Each keeps what a test asserts on (the addresses
// held and the calls that changed them, the announcements, the packets sent) and is safe for
// concurrent use, as the instance's goroutines call it while the test reads it.
package vrrptest
