package metrics

import (
	"strings"
	"testing"

	"github.com/halvs/halvs/control"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

// TestFloodSeries: what a flood of adverts leaves in the status is exported: the
// queue-full drops among every drop reason, the adverts not answered, the log lines not
// written, and the messages no instance took (unknown VRID, too short).
func TestFloodSeries(t *testing.T) {
	f := newFake()
	f.update(func(st *control.Status) {
		c := &st.Instances[0].Counters
		c.Drops = map[string]uint64{"queue_full": 900, "auth_password": 4}
		c.RepliesLimited, c.LogSuppressed = 41000, 1200
		st.UnroutedDrops = map[string]uint64{"vrid": 7}
	})
	m := New(f.Status, "test")
	want := `
# HELP halvs_vrrp_replies_limited_total Lower-priority adverts a MASTER did not answer, having answered one within the advert interval.
# TYPE halvs_vrrp_replies_limited_total counter
halvs_vrrp_replies_limited_total{interface="eth0",vrid="51",vrrp_instance="VI_1"} 41000
# HELP halvs_vrrp_log_lines_suppressed_total Advert-path log lines not written, over their rate limit.
# TYPE halvs_vrrp_log_lines_suppressed_total counter
halvs_vrrp_log_lines_suppressed_total{interface="eth0",vrid="51",vrrp_instance="VI_1"} 1200
# HELP halvs_vrrp_unrouted_drops_total Received VRRP messages no instance could take, by reason: vrid (no instance has that VRID), length (too short to carry one).
# TYPE halvs_vrrp_unrouted_drops_total counter
halvs_vrrp_unrouted_drops_total{reason="length"} 0
halvs_vrrp_unrouted_drops_total{reason="vrid"} 7
`
	if err := testutil.GatherAndCompare(m.reg, strings.NewReader(want), "halvs_vrrp_replies_limited_total",
		"halvs_vrrp_log_lines_suppressed_total", "halvs_vrrp_unrouted_drops_total"); err != nil {
		t.Error(err)
	}
	tests := []struct {
		reason string
		want   float64
	}{
		{"queue_full", 900}, {"auth_password", 4}, {"ttl", 0}, {"vrid", 0},
	}
	for _, tt := range tests {
		got, ok := gatherValue(t, m, "halvs_vrrp_advert_drops_total", map[string]string{"vrrp_instance": "VI_1", "interface": "eth0", "vrid": "51", "reason": tt.reason})
		if !ok {
			t.Errorf("no halvs_vrrp_advert_drops_total series for reason %s", tt.reason)
		} else if got != tt.want {
			t.Errorf("halvs_vrrp_advert_drops_total{reason=%q} = %v, want %v", tt.reason, got, tt.want)
		}
	}
}

// gatherValue returns the value of the series of name with exactly labels, if there is one.
func gatherValue(t *testing.T, m *Metrics, name string, labels map[string]string) (float64, bool) {
	t.Helper()
	mfs, err := m.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	series:
		for _, s := range mf.GetMetric() {
			if len(s.GetLabel()) != len(labels) {
				continue
			}
			for _, l := range s.GetLabel() {
				if labels[l.GetName()] != l.GetValue() {
					continue series
				}
			}
			if c := s.GetCounter(); c != nil {
				return c.GetValue(), true
			}
			return s.GetGauge().GetValue(), true
		}
	}
	return 0, false
}
