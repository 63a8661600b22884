package keepalivedconf

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestConvertTunnelType(t *testing.T) {
	for _, tc := range []struct {
		name      string
		src       string
		want      string
		wantDiags []string
	}{
		{
			name: "the tunnel options are carried over with TUN",
			src:  "virtual_server 10.0.0.1 80 {\n  protocol TCP\n  lvs_method TUN type gue port 6080 csum\n  sorry_server 10.0.0.9 80\n  sorry_server_lvs_method TUN type gre\n  real_server 10.0.0.2 80 {\n    lb_kind TUN type ipip\n  }\n}",
			want: `virtual_server "10.0.0.1:80" {
  protocol                = "TCP"
  lvs_method              = "TUN type gue port 6080 csum"
  sorry_server            = "10.0.0.9:80"
  sorry_server_lvs_method = "TUN type gre"
  real_server "10.0.0.2:80" {
    lvs_method = "TUN type ipip"
  }
}
`,
		},
		{
			name:      "words after DR are left out with a warning",
			src:       "virtual_server 10.0.0.1 80 {\n  protocol TCP\n  lvs_method DR extra\n}",
			want:      "virtual_server \"10.0.0.1:80\" {\n  protocol   = \"TCP\"\n  lvs_method = \"DR\"\n}\n",
			wantDiags: []string{`k.conf:3: warning: lvs_method: the words "extra" are left out (halvs has no equivalent)`},
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
