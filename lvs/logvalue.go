package lvs

import "log/slog"

// Logged by name: slog's JSON handler writes a named integer type as its number, so each
// enum that goes into a log line says how to log itself, as ipvsadm names it.

// LogValue is the protocol's name (TCP, UDP, SCTP).
func (p Protocol) LogValue() slog.Value { return slog.StringValue(p.String()) }

// LogValue is IPv4 or IPv6.
func (f Family) LogValue() slog.Value { return slog.StringValue(f.String()) }

// LogValue is the forwarding method's keepalived lb_kind (NAT, DR, TUN).
func (f Forwarding) LogValue() slog.Value { return slog.StringValue(f.String()) }

// LogValue is the sync daemon's role (master, backup).
func (r SyncRole) LogValue() slog.Value { return slog.StringValue(r.String()) }

// LogValue is the operation's name (add-service, ...).
func (k OpKind) LogValue() slog.Value { return slog.StringValue(k.String()) }
