// Package healthcheck owns the real-server checkers (TCP, HTTP/HTTPS, exec, UDP, DNS, ping,
// file), their scheduling with keepalived's retry and delay semantics, and the up/down events
// that drive real-server weights.
package healthcheck
