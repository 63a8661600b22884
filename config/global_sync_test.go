package config_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestGlobalSyncPreemptAndSloppy(t *testing.T) {
	tests := []struct {
		name              string
		src               string
		wantDelay         time.Duration
		wantTCP, wantSCTP bool
	}{
		{name: "defaults", src: "", wantDelay: 5 * time.Second},
		{name: "set", src: `global {
  lvs_sync_preempt_delay = "2500ms"
  lvs_sloppy_tcp         = true
  lvs_sloppy_sctp        = true
}`, wantDelay: 2500 * time.Millisecond, wantTCP: true, wantSCTP: true},
		{name: "off", src: "global {\n  lvs_sync_preempt_delay = 0\n}\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := mustParse(t, tt.src).Global
			type out struct {
				Delay     time.Duration
				TCP, SCTP bool
			}
			want := out{tt.wantDelay, tt.wantTCP, tt.wantSCTP}
			got := out{g.LVSSyncPreemptDelay, g.LVSSloppyTCP, g.LVSSloppySCTP}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("global (-want +got):\n%s", diff)
			}
		})
	}
}

func TestGlobalSyncPreemptValidation(t *testing.T) {
	runDiagCases(t, []diagCase{
		{name: "too long", src: "global {\n  lvs_sync_preempt_delay = \"2m\"\n}\n",
			want: []string{"2:28: error: lvs_sync_preempt_delay must be at most 1m0s"}},
		{name: "negative", src: "global {\n  lvs_sync_preempt_delay = -1\n}\n",
			want: []string{"2:28: error: lvs_sync_preempt_delay must be a duration from 0 to"}},
		{name: "sloppy not a bool", src: "global {\n  lvs_sloppy_tcp = \"yes\"\n}\n",
			want: []string{"2:20: error: lvs_sloppy_tcp must be true or false"}},
	})
}
