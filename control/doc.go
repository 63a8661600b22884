// Package control owns halvs' control socket: a small JSON API over HTTP on a unix socket
// (global.control_socket, /run/halvs.sock by default, mode 0600) through which `halvs status`
// reads the director's state and `halvs failover` / `halvs reload` ask it to act. It defines the
// status document (Status) that the director fills in, the server that serves it and the client
// the command line uses. It knows nothing of VRRP or IPVS beyond that document: the director
// hands it plain functions (Handlers).
package control
