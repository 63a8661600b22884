package lvs

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestLogValuesAreNames: the enums director logs (the sync daemon's role among them) are
// written by name in JSON logs, never as their number.
func TestLogValuesAreNames(t *testing.T) {
	values := map[string]any{"protocol": TCP, "family": IPv6, "forwarding": DR, "role": SyncBackup, "op": AddService}
	want := map[string]any{"protocol": TCP.String(), "family": IPv6.String(), "forwarding": "DR", "role": "backup", "op": AddService.String()}
	var b bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&b, nil))
	for k, v := range values {
		log.Info("m", k, v)
	}
	got := map[string]any{}
	dec := json.NewDecoder(&b)
	for dec.More() {
		var line map[string]any
		if err := dec.Decode(&line); err != nil {
			t.Fatal(err)
		}
		for k := range values {
			if v, ok := line[k]; ok {
				got[k] = v
			}
		}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}
