package healthcheck

import (
	"bytes"
	"log/slog"
	"testing"
)

// TestEventTypeLogsByName: a JSON log line names the event, not its number.
func TestEventTypeLogsByName(t *testing.T) {
	var b bytes.Buffer
	slog.New(slog.NewJSONHandler(&b, nil)).Info("m", "event", RealServerDown)
	if !bytes.Contains(b.Bytes(), []byte(`"event":"RealServerDown"`)) {
		t.Errorf("JSON line %s, want \"event\":\"RealServerDown\"", b.String())
	}
}
