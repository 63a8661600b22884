package healthcheck

import "log/slog"

// LogValue is the event's name (RealServerUp, ...): slog's JSON handler would write the
// number.
func (t EventType) LogValue() slog.Value { return slog.StringValue(t.String()) }
