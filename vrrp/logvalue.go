package vrrp

import "log/slog"

// Logged by name: slog's JSON handler writes a named integer type as its number and only
// the text handler calls String, so each enum that goes into a log line says how to log
// itself. An operator greps for "from":"BACKUP", as for keepalived's words.

// LogValue is the state's keepalived name (MASTER, BACKUP, ...).
func (s State) LogValue() slog.Value { return slog.StringValue(s.String()) }

// LogValue is the reason's metric label name.
func (r DropReason) LogValue() slog.Value { return slog.StringValue(r.String()) }

// LogValue is the message type's name.
func (t Type) LogValue() slog.Value { return slog.StringValue(t.String()) }

// LogValue is the authentication type's keepalived name (PASS, AH).
func (a AuthType) LogValue() slog.Value { return slog.StringValue(a.String()) }

// LogValue is the tracked object's kind (interface, script, virtual_server).
func (k TrackKind) LogValue() slog.Value { return slog.StringValue(k.String()) }

// LogValue is IPv4 or IPv6.
func (f AddrFamily) LogValue() slog.Value { return slog.StringValue(f.String()) }
