package vrrp

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestLogValuesAreNames: every enum a log line carries is written by name by both of
// halvs' log formats, never as its number.
func TestLogValuesAreNames(t *testing.T) {
	tests := []struct {
		name  string
		value any
		want  string
	}{
		{"state", StateBackup, "BACKUP"},
		{"master", StateMaster, "MASTER"},
		{"drop reason", DropTTL, "ttl"},
		{"type", TypeAdvertisement, "ADVERTISEMENT"},
		{"auth type", AuthPass, "PASS"},
		{"track kind", TrackScript, "script"},
		{"family", FamilyIPv6, "IPv6"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var js, text bytes.Buffer
			slog.New(slog.NewJSONHandler(&js, nil)).Info("m", "v", tt.value)
			slog.New(slog.NewTextHandler(&text, nil)).Info("m", "v", tt.value)
			var line map[string]any
			if err := json.Unmarshal(js.Bytes(), &line); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, line["v"]); diff != "" {
				t.Errorf("JSON %s (-want +got):\n%s", js.String(), diff)
			}
			if !bytes.Contains(text.Bytes(), []byte(" v="+tt.want+"\n")) {
				t.Errorf("text line %q, want v=%s", text.String(), tt.want)
			}
		})
	}
}
