package metrics

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/halvs/halvs/control"
	"github.com/halvs/halvs/lvs"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

// fakeDirector hands out a snapshot the test can change between scrapes.
type fakeDirector struct {
	mu  sync.Mutex
	st  control.Status
	err error
}

func (f *fakeDirector) Status(context.Context) (*control.Status, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return nil, f.err
	}
	st := f.st
	return &st, nil
}

func (f *fakeDirector) update(fn func(*control.Status)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	fn(&f.st)
}

func newFake() *fakeDirector {
	at := time.Unix(1700000000, 0)
	return &fakeDirector{st: control.Status{
		SchemaVersion: control.StatusVersion,
		Instances: []control.Instance{{
			Name: "VI_1", Interface: "eth0", VRID: 51, State: "MASTER", Priority: 150, EffectivePriority: 130, Since: at,
			Counters: control.Counters{AdvertsSent: 10, AdvertsReceived: 2, Drops: map[string]uint64{"ttl": 3},
				Transitions: map[string]uint64{"BACKUP": 1, "MASTER": 1}},
		}},
		VirtualServers: []control.VirtualServer{{
			Name: "10.10.10.22:80", Protocol: "TCP", QuorumUp: true, AliveWeight: 3,
			Stats: &control.IPVSStats{Connections: 5, PacketsIn: 50, PacketsOut: 40, BytesIn: 5000, BytesOut: 4000},
			RealServers: []control.RealServer{
				{Addr: netip.MustParseAddrPort("10.10.10.31:80"), Weight: 3, EffectiveWeight: 3, InTable: true, Health: control.HealthUp,
					LastCheck:   &control.CheckResult{Checker: "tcp_check", OK: true, Latency: control.Duration(2 * time.Millisecond)},
					ActiveConns: 4, InactiveConns: 1, Stats: &control.IPVSStats{Connections: 5, BytesIn: 5000}},
				{Addr: netip.MustParseAddrPort("10.10.10.32:80"), Weight: 3, Health: control.HealthUnknown},
			},
		}},
		SyncDaemon: &control.SyncDaemon{Role: "master", Interface: "eth0", SyncID: 51, Instance: "VI_1"},
	}}
}

func TestSnapshotFailure(t *testing.T) {
	f := newFake()
	f.err = errors.New("director wedged")
	m := New(f.Status, "test")
	if diff := cmp.Diff([]string{"halvs_build_info", "halvs_config_last_reload_success_timestamp_seconds", "halvs_config_reloads_total", "halvs_status_snapshot_success"}, halvsNames(t, m)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	want := "# HELP halvs_status_snapshot_success 1 if the director's status could be read for this scrape; the other halvs_ series are missing when 0.\n# TYPE halvs_status_snapshot_success gauge\nhalvs_status_snapshot_success 0\n"
	if err := testutil.GatherAndCompare(m.reg, strings.NewReader(want), "halvs_status_snapshot_success"); err != nil {
		t.Error(err)
	}
}

func TestEvents(t *testing.T) {
	m := New(newFake().Status, "test")
	m.ObserveTakeover("VI_1", 3609*time.Millisecond)
	m.ObserveTakeover("VI_1", 12*time.Millisecond)
	m.ObserveCheck("10.10.10.22:80", "TCP", "10.10.10.31:80", "tcp_check 10.10.10.31:80", true, time.Millisecond)
	m.ObserveCheck("10.10.10.22:80", "TCP", "10.10.10.31:80", "tcp_check 10.10.10.31:80", false, 5*time.Second)
	m.ObserveCheck("10.10.10.22:80", "TCP", "10.10.10.31:80", "tcp_check 10.10.10.31:80", true, time.Millisecond)
	m.ObserveReconcile(lvs.Report{
		Applied: []lvs.Op{{Kind: lvs.AddService}, {Kind: lvs.AddDestination}, {Kind: lvs.AddDestination}},
		Failed:  []*lvs.OpError{{Op: lvs.Op{Kind: lvs.UpdateDestination}, Err: errors.New("ENOENT")}},
	})
	m.ObserveReload(errors.New("bad config"), time.Time{})
	m.ObserveReload(nil, time.Unix(1700000100, 0))

	tests := []struct {
		name string
		got  float64
		want float64
	}{
		{"check successes", testutil.ToFloat64(m.checkResults.WithLabelValues("10.10.10.22:80", "TCP", "10.10.10.31:80", "tcp_check 10.10.10.31:80", "success")), 2},
		{"check failures", testutil.ToFloat64(m.checkResults.WithLabelValues("10.10.10.22:80", "TCP", "10.10.10.31:80", "tcp_check 10.10.10.31:80", "failure")), 1},
		{"add-destination ops", testutil.ToFloat64(m.reconcileOps.WithLabelValues("add-destination")), 2},
		{"add-service ops", testutil.ToFloat64(m.reconcileOps.WithLabelValues("add-service")), 1},
		{"update-destination errors", testutil.ToFloat64(m.reconcileErrors.WithLabelValues("update-destination")), 1},
		{"reload failures", testutil.ToFloat64(m.reloads.WithLabelValues("failure")), 1},
		{"reload successes", testutil.ToFloat64(m.reloads.WithLabelValues("success")), 1},
		{"last reload time", testutil.ToFloat64(m.reloadTime), 1700000100},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s = %v, want %v", tt.name, tt.got, tt.want)
		}
	}
	want := `
# HELP halvs_vrrp_takeover_duration_seconds Time from the last advert heard from the old master (or its priority-0 advert) to this router owning the VIPs as MASTER.
# TYPE halvs_vrrp_takeover_duration_seconds histogram
halvs_vrrp_takeover_duration_seconds_bucket{vrrp_instance="VI_1",le="0.005"} 0
halvs_vrrp_takeover_duration_seconds_bucket{vrrp_instance="VI_1",le="0.01"} 0
halvs_vrrp_takeover_duration_seconds_bucket{vrrp_instance="VI_1",le="0.025"} 1
halvs_vrrp_takeover_duration_seconds_bucket{vrrp_instance="VI_1",le="0.05"} 1
halvs_vrrp_takeover_duration_seconds_bucket{vrrp_instance="VI_1",le="0.1"} 1
halvs_vrrp_takeover_duration_seconds_bucket{vrrp_instance="VI_1",le="0.25"} 1
halvs_vrrp_takeover_duration_seconds_bucket{vrrp_instance="VI_1",le="0.5"} 1
halvs_vrrp_takeover_duration_seconds_bucket{vrrp_instance="VI_1",le="1"} 1
halvs_vrrp_takeover_duration_seconds_bucket{vrrp_instance="VI_1",le="2"} 1
halvs_vrrp_takeover_duration_seconds_bucket{vrrp_instance="VI_1",le="3"} 1
halvs_vrrp_takeover_duration_seconds_bucket{vrrp_instance="VI_1",le="4"} 2
halvs_vrrp_takeover_duration_seconds_bucket{vrrp_instance="VI_1",le="5"} 2
halvs_vrrp_takeover_duration_seconds_bucket{vrrp_instance="VI_1",le="10"} 2
halvs_vrrp_takeover_duration_seconds_bucket{vrrp_instance="VI_1",le="+Inf"} 2
halvs_vrrp_takeover_duration_seconds_sum{vrrp_instance="VI_1"} 3.621
halvs_vrrp_takeover_duration_seconds_count{vrrp_instance="VI_1"} 2
`
	if err := testutil.GatherAndCompare(m.reg, strings.NewReader(want), "halvs_vrrp_takeover_duration_seconds"); err != nil {
		t.Error(err)
	}
}

// TestServeMoving scrapes /metrics over a real loopback listener twice while the director's
// counters move, as Prometheus would.
func TestServeMoving(t *testing.T) {
	f := newFake()
	m := New(f.Status, "test")
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- ServeListener(ctx, l, m.Handler(), nil) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	}()
	scrape := func() string {
		resp, err := http.Get("http://" + l.Addr().String() + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 {
			t.Fatalf("status %d: %s", resp.StatusCode, b)
		}
		return string(b)
	}
	first := scrape()
	for _, line := range []string{`halvs_vrrp_adverts_sent_total{interface="eth0",vrid="51",vrrp_instance="VI_1"} 10`, `halvs_vrrp_state{interface="eth0",state="MASTER",vrid="51",vrrp_instance="VI_1"} 1`} {
		if !strings.Contains(first, line+"\n") {
			t.Errorf("first scrape lacks %q", line)
		}
	}
	f.update(func(st *control.Status) {
		in := &st.Instances[0]
		in.State = "BACKUP"
		in.Counters.AdvertsSent = 25
		in.Counters.Transitions = map[string]uint64{"BACKUP": 2, "MASTER": 1}
	})
	m.ObserveTakeover("VI_1", time.Second)
	second := scrape()
	for _, line := range []string{`halvs_vrrp_adverts_sent_total{interface="eth0",vrid="51",vrrp_instance="VI_1"} 25`, `halvs_vrrp_state{interface="eth0",state="MASTER",vrid="51",vrrp_instance="VI_1"} 0`,
		`halvs_vrrp_state{interface="eth0",state="BACKUP",vrid="51",vrrp_instance="VI_1"} 1`, `halvs_vrrp_transitions_total{interface="eth0",state="BACKUP",vrid="51",vrrp_instance="VI_1"} 2`,
		`halvs_vrrp_takeover_duration_seconds_count{vrrp_instance="VI_1"} 1`} {
		if !strings.Contains(second, line+"\n") {
			t.Errorf("second scrape lacks %q", line)
		}
	}
}
