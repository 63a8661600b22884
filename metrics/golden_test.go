package metrics

import (
	"context"
	"flag"
	"io"
	"net/http/httptest"
	"net/netip"
	"os"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/halvs/halvs/control"
	"github.com/halvs/halvs/lvs"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

var update = flag.Bool("update", false, "rewrite testdata/metrics.golden from the current exposition")

const goldenFile = "testdata/metrics.golden"

// goldenStatus is a director with something of every kind: two instances (one with a
// tracker of each kind and state), an address service with two real servers, a
// firewall-mark virtual server with an IPv4 and an IPv6 kernel service of one mark, unrouted
// drops and the sync daemon.
func goldenStatus() *control.Status {
	at := time.Unix(1700000000, 0)
	fileValue := 30
	ap := netip.MustParseAddrPort
	return &control.Status{
		SchemaVersion: control.StatusVersion, Time: at,
		Instances: []control.Instance{
			{Name: "VI_1", Interface: "eth0", VRID: 51, State: "MASTER", Priority: 150, EffectivePriority: 140, Since: at,
				Trackers: []control.Tracker{
					{Kind: "interface", Name: "eth1", Weight: 10, State: "up"},
					{Kind: "script", Name: "chk_haproxy", Weight: -20, Reverse: true, State: "down"},
					{Kind: "script", Name: "chk_new", Weight: 5, State: "unknown"},
					{Kind: "virtual_server", Name: "10.10.10.22:80", Weight: 0, State: "up"},
					{Kind: "file", Name: "tf_maint", Weight: -1, State: "value", Value: &fileValue},
					{Kind: "process", Name: "haproxy", Weight: 0, Reverse: true, State: "down"},
				},
				Counters: control.Counters{AdvertsSent: 10, AdvertsReceived: 2, PriorityZeroSent: 1, SendErrors: 1,
					Drops: map[string]uint64{"ttl": 3}, Transitions: map[string]uint64{"BACKUP": 1, "MASTER": 1},
					VIPRepairs: 1, KernelErrors: 2, ScriptErrors: 3, RepliesLimited: 4, LogSuppressed: 5}},
			{Name: "VI_2", Interface: "eth1", VRID: 52, State: "BACKUP", Priority: 100, EffectivePriority: 100,
				Counters: control.Counters{AdvertsReceived: 7, PriorityZeroReceived: 1, Transitions: map[string]uint64{"BACKUP": 1}}},
		},
		UnroutedDrops: map[string]uint64{"vrid": 4},
		VirtualServers: []control.VirtualServer{
			{Name: "10.10.10.22:80", Protocol: "TCP", QuorumUp: true, AliveWeight: 3,
				RealServers: []control.RealServer{
					{Addr: ap("10.10.10.31:80"), Weight: 3, EffectiveWeight: 3, InTable: true, Health: control.HealthUp,
						LastCheck: &control.CheckResult{Checker: "tcp_check 10.10.10.31:80", OK: true, Latency: control.Duration(2 * time.Millisecond)}},
					{Addr: ap("10.10.10.32:80"), Weight: 1, Health: control.HealthUnknown},
				},
				Services: []control.IPVSService{{Family: "IPv4", Protocol: "TCP", Addr: ap("10.10.10.22:80"),
					// Counters past 32 bits: the kernel's 64-bit ones.
					Stats: control.IPVSStats{Connections: 5 << 32, PacketsIn: 50, PacketsOut: 40, BytesIn: 5000, BytesOut: 4000,
						CPS: 1, InPPS: 12, OutPPS: 10, InBPS: 1200, OutBPS: 1000},
					Destinations: []control.IPVSDestination{{Addr: ap("10.10.10.31:80"), Weight: 3, ActiveConns: 4, InactiveConns: 1,
						Stats: control.IPVSStats{Connections: 5, PacketsIn: 50, PacketsOut: 40, BytesIn: 5000, BytesOut: 4000,
							CPS: 1, InPPS: 12, OutPPS: 10, InBPS: 1200, OutBPS: 1000}}}}}},
			{Name: "fwmark:7", Protocol: "", QuorumUp: false, AliveWeight: 0,
				RealServers: []control.RealServer{{Addr: ap("10.10.10.31:0"), Weight: 1, Health: control.HealthDown}},
				Services: []control.IPVSService{
					{Family: "IPv4", FWMark: 7, Stats: control.IPVSStats{Connections: 2, PacketsIn: 8},
						Destinations: []control.IPVSDestination{{Addr: ap("10.10.10.31:0"), Weight: 1, InactiveConns: 2,
							Stats: control.IPVSStats{Connections: 2, PacketsIn: 8}}}},
					{Family: "IPv6", FWMark: 7, Stats: control.IPVSStats{Connections: 1, PacketsIn: 3}, Destinations: []control.IPVSDestination{}},
				}},
		},
		SyncDaemon: &control.SyncDaemon{Role: "master", Interface: "eth0", SyncID: 51, Instance: "VI_1"},
	}
}

// goldenMetrics is a registry over goldenStatus with one of each event recorded.
func goldenMetrics() *Metrics {
	m := New(func(context.Context) (*control.Status, error) { return goldenStatus(), nil }, "v1.2.3")
	m.ObserveTakeover("VI_1", 12*time.Millisecond)
	m.ObserveCheck("10.10.10.22:80", "TCP", "10.10.10.31:80", "tcp_check 10.10.10.31:80", true, time.Millisecond)
	m.ObserveReconcile(lvs.Report{Applied: []lvs.Op{{Kind: lvs.AddService}},
		Failed: []*lvs.OpError{{Op: lvs.Op{Kind: lvs.UpdateDestination}}}})
	m.ObserveReload(nil, time.Unix(1700000100, 0))
	return m
}

// exposition is what /metrics serves, in Prometheus' text format, reduced to the halvs_
// series (the Go and process collectors' vary from run to run), with the Go version the
// test was built with written as GOVERSION.
func exposition(t *testing.T, m *Metrics) string {
	t.Helper()
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	body, _ := io.ReadAll(rec.Body)
	var out strings.Builder
	for line := range strings.Lines(string(body)) {
		name := line
		if strings.HasPrefix(line, "# ") {
			name = strings.Join(strings.Fields(line)[2:3], "")
		}
		if strings.HasPrefix(name, "halvs_") {
			out.WriteString(strings.ReplaceAll(line, `"`+runtime.Version()+`"`, `"GOVERSION"`))
		}
	}
	return out.String()
}

// TestGolden compares every halvs_ series (name, type, help, labels and values) with
// testdata/metrics.golden, so that a renamed series or label, or one gone or added, shows
// here and in docs/operations.md's table. `go test ./metrics -run Golden -update` rewrites it.
func TestGolden(t *testing.T) {
	m := goldenMetrics()
	got := exposition(t, m)
	if *update {
		if err := os.WriteFile(goldenFile, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(goldenFile)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("exposition differs from %s (-want +got); after checking docs/operations.md, run with -update:\n%s", goldenFile, diff)
	}
	if problems, err := testutil.GatherAndLint(m.reg); err != nil || len(problems) > 0 {
		t.Errorf("lint: %v %+v", err, problems)
	}
}

// TestDocumentedNames: every series the golden director exports has a row in
// docs/operations.md's metric table, and every row names a series that exists.
func TestDocumentedNames(t *testing.T) {
	doc, err := os.ReadFile("../docs/operations.md")
	if err != nil {
		t.Fatal(err)
	}
	var documented []string
	for line := range strings.Lines(string(doc)) {
		if f := strings.Split(line, "`"); strings.HasPrefix(line, "| `halvs_") && len(f) > 1 {
			documented = append(documented, f[1])
		}
	}
	slices.Sort(documented)
	got := halvsNames(t, goldenMetrics())
	if diff := cmp.Diff(got, documented); diff != "" {
		t.Errorf("docs/operations.md metric table (-exported +documented):\n%s", diff)
	}
}

// TestNodeExporterLabels: the series node_exporter's IPVS collector also has carry its
// names (halvs_ for node_) and exactly its labels.
func TestNodeExporterLabels(t *testing.T) {
	nodeLabels := []string{"local_address", "local_port", "remote_address", "remote_port", "proto", "local_mark"}
	for _, name := range []string{"backend_connections_active", "backend_connections_inactive", "backend_weight"} {
		got, ok := gatherLabels(t, goldenMetrics(), "halvs_ipvs_"+name)
		if !ok {
			t.Errorf("no halvs_ipvs_%s series", name)
			continue
		}
		want := slices.Sorted(slices.Values(nodeLabels)) // the registry sorts them
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("halvs_ipvs_%s labels (-node_exporter +halvs):\n%s", name, diff)
		}
	}
}

// gatherLabels returns the label names of the first series of name.
func gatherLabels(t *testing.T, m *Metrics, name string) ([]string, bool) {
	t.Helper()
	mfs, err := m.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == name && len(mf.GetMetric()) > 0 {
			var out []string
			for _, l := range mf.GetMetric()[0].GetLabel() {
				out = append(out, l.GetName())
			}
			return out, true
		}
	}
	return nil, false
}

// halvsNames are the names of the halvs_ series m exports, sorted.
func halvsNames(t *testing.T, m *Metrics) []string {
	t.Helper()
	mfs, err := m.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, mf := range mfs {
		if strings.HasPrefix(mf.GetName(), "halvs_") {
			names = append(names, mf.GetName())
		}
	}
	return names
}
