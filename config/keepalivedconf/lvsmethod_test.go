package keepalivedconf

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestConvertTunnelType(t *testing.T) {
	for _, tc := range []struct {
		name      string
		src       string
		wantDiags []string
	}{
		{
			name: "type ipip is what halvs programs: no loss",
			src:  "virtual_server 10.0.0.1 80 {\n  protocol TCP\n  lvs_method TUN type ipip\n}",
		},
		{
			name:      "gue on the virtual server is a loss for its real servers",
			src:       "virtual_server 10.0.0.1 80 {\n  protocol TCP\n  lvs_method TUN type gue port 6080 csum\n}",
			wantDiags: []string{`k.conf:3: error: lvs_method TUN "type gue port 6080 csum" left out: halvs programs TUN as IP-in-IP (type ipip) only; virtual server 10.0.0.1:80's real servers get IP-in-IP packets instead, which a real server set up for type gue port 6080 csum does not decapsulate`},
		},
		{
			name:      "gre on a real server (lb_kind) is a loss for it",
			src:       "virtual_server 10.0.0.1 80 {\n  protocol TCP\n  real_server 10.0.0.2 80 {\n    lb_kind TUN type gre remcsum\n  }\n}",
			wantDiags: []string{`k.conf:4: error: lb_kind TUN "type gre remcsum" left out: halvs programs TUN as IP-in-IP (type ipip) only; real server 10.0.0.2:80 gets IP-in-IP packets instead, which a real server set up for type gre remcsum does not decapsulate`},
		},
		{
			name:      "words after DR are left out with a warning, as before",
			src:       "virtual_server 10.0.0.1 80 {\n  protocol TCP\n  lvs_method DR extra\n}",
			wantDiags: []string{`k.conf:3: warning: lvs_method: the words "extra" are left out (halvs has no equivalent)`},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, diags := convertString(t, tc.src)
			if diff := cmp.Diff(tc.wantDiags, diags); diff != "" {
				t.Errorf("diagnostics (-want +got):\n%s", diff)
			}
			if !strings.Contains(got, `lvs_method = "`) {
				t.Errorf("the method itself is not carried over:\n%s", got)
			}
		})
	}
}
