package healthcheck

import (
	"math/rand/v2"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/halvs/halvs/internal/script"
)

// TestEngineInitNotifies: with rs_init_notifies a real server that starts alive runs its
// notify_up at start; one that starts down (alpha) does not, and without the setting none does.
func TestEngineInitNotifies(t *testing.T) {
	up := &script.Command{Argv: []string{"/bin/up"}}
	for _, tc := range []struct {
		name  string
		init  bool
		alpha bool
		want  []string
	}{
		{name: "rs_init_notifies", init: true, want: []string{"notify_up 10.0.0.1:80 (rs_init_notifies)"}},
		{name: "rs_init_notifies, alpha starts down", init: true, alpha: true},
		{name: "keepalived's default: no notify at start"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tm := timing
			tm.Alpha = tc.alpha
			r := rs("10.0.0.1:80", 1, tcp(0, tm))
			r.NotifyUp, r.InitNotifies = up, tc.init
			_, out, err := newEngine([]VirtualServer{{Name: "vs", Quorum: 1, RealServers: []RealServer{r}}}, t0, rand.New(rand.NewPCG(1, 2)), 0)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, s := range out.scripts {
				got = append(got, s.reason)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("scripts at start (-want +got):\n%s", diff)
			}
		})
	}
}
