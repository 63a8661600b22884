package keepalivedconf

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestConvertLVSFlush(t *testing.T) {
	for _, tc := range []struct {
		name      string
		src       string
		want      string
		wantDiags []string
	}{
		{
			name: "lvs_flush_onstop VS is what halvs does: no loss",
			src:  "global_defs {\n  lvs_flush_onstop VS\n}",
			want: "global {\n  lvs_flush_onstop = \"VS\"\n}\n",
		},
		{
			name: "lvs_flush_on_stop VS, keepalived's other spelling",
			src:  "global_defs {\n  lvs_flush_on_stop VS\n}",
			want: "global {\n  lvs_flush_onstop = \"VS\"\n}\n",
		},
		{
			name: "lvs_flush and a full lvs_flush_onstop are losses",
			src:  "global_defs {\n  lvs_flush\n  lvs_flush_onstop\n}",
			want: "global {\n  lvs_flush        = true\n  lvs_flush_onstop = true\n}\n",
			wantDiags: []string{
				`k.conf:2: error: lvs_flush in global kept, but halvs does not empty the IPVS table: it removes only the services it owns; IPVS services this configuration does not name (left by ipvsadm, another program or an earlier configuration) stay in the table when halvs starts`,
				`k.conf:3: error: lvs_flush_onstop in global kept, but halvs does not empty the IPVS table at stop: it removes only the services it owns, as with lvs_flush_onstop VS; IPVS services this configuration does not name stay in the table when halvs stops`,
			},
		},
		{
			name: "a later lvs_flush_on_stop VS replaces a bare one, and its loss, as keepalived keeps the last",
			src:  "global_defs {\n  lvs_flush_onstop\n  lvs_flush_on_stop VS\n}",
			want: "global {\n  lvs_flush_onstop = \"VS\"\n}\n",
			wantDiags: []string{
				`k.conf:3: warning: lvs_flush_on_stop is given again in global (first at k.conf:2); keepalived keeps the last, and so does the conversion`,
			},
		},
		{
			name:      "an unknown lvs_flush_onstop type",
			src:       "global_defs {\n  lvs_flush_onstop ALL\n}",
			want:      "global {\n}\n",
			wantDiags: []string{`k.conf:2: warning: lvs_flush_onstop "ALL" left out: keepalived takes no value or VS (and rejects this one too)`},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, diags := convertString(t, tc.src)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("output (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.wantDiags, diags); diff != "" {
				t.Errorf("diagnostics (-want +got):\n%s", diff)
			}
		})
	}
}
