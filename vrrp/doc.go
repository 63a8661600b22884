// Package vrrp implements the Virtual Router Redundancy Protocol, versions 2 (RFC 3768) and
// 3 (RFC 5798, RFC 9568) over IPv4 and IPv6: the packet codec, the pure state machine, and the
// instance runner with its kernel-facing Transport, Addresser and Announcer.
package vrrp
