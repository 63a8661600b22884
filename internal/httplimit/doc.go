// Package httplimit bounds what a client may hold of halvs' HTTP servers (the control socket
// and the metrics listener): the time to send a request, the time to take a reply, the time
// a kept-alive connection may sit idle, and the number of connections served at once.
package httplimit
