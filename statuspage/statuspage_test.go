package statuspage

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/halvs/halvs/control"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden.html")

var at = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// sample is director A of the reference pair: MASTER, one real server up, one down, a
// takeover, a checker transition and a failed reload in its history.
func sample() *control.Status {
	three := 3
	return &control.Status{
		SchemaVersion: control.StatusVersion, Time: at, RouterID: "director-a",
		ConfigFile: "/etc/halvs/halvs.hcl", ConfigLoaded: at.Add(-time.Hour), Started: at.Add(-26 * time.Hour),
		LastReload: &control.Reload{At: at.Add(-5 * time.Minute), Result: "failure",
			Errors: []string{"/etc/halvs/halvs.hcl:9:11: error: state must be \"MASTER\" or \"BACKUP\", not \"MASTR\""}},
		Instances: []control.Instance{{
			Name: "VI_1", Interface: "eth0", VRID: 51, Version: 2, State: "MASTER", Priority: 150, EffectivePriority: 144,
			MasterAddr: netip.MustParseAddr("10.10.10.30"), Since: at.Add(-2*time.Hour - 4*time.Minute),
			LastTransition: &control.Transition{From: "BACKUP", To: "MASTER", Reason: "master down timer expired", At: at.Add(-2*time.Hour - 4*time.Minute)},
			VIPs:           []netip.Prefix{netip.MustParsePrefix("10.10.10.22/32")},
			Trackers: []control.Tracker{{Kind: "interface", Name: "eth1", Weight: 10, State: "up"},
				{Kind: "file", Name: "drain", Weight: -2, State: "value", Value: &three}},
		}, {
			Name: "VI_2", Interface: "eth1", VMAC: "vrrp.52", VRID: 52, Version: 3, State: "FAULT", Priority: 100, EffectivePriority: 100,
			Since: at.Add(-90 * time.Second), Faults: []string{"eth1 down"},
		}},
		VirtualServers: []control.VirtualServer{{
			Name: "10.10.10.22:80", Protocol: "TCP", Scheduler: "wrr", Method: "DR", Quorum: 1, QuorumUp: true, AliveWeight: 3,
			Stats: &control.IPVSStats{Connections: 18234, CPS: 12, InPPS: 2400, OutPPS: 0, InBPS: 3 << 20, BytesIn: 5 << 30},
			RealServers: []control.RealServer{
				{Addr: netip.MustParseAddrPort("10.10.10.31:80"), Weight: 3, EffectiveWeight: 3, InTable: true, Health: control.HealthUp,
					LastCheck:   &control.CheckResult{Checker: "tcp_check 10.10.10.31:80", At: at.Add(-4 * time.Second), OK: true, Latency: control.Duration(412 * time.Microsecond)},
					ActiveConns: 12, InactiveConns: 40, Stats: &control.IPVSStats{Connections: 18234, CPS: 12}},
				{Addr: netip.MustParseAddrPort("10.10.10.32:80"), Weight: 3, Health: control.HealthDown,
					LastCheck: &control.CheckResult{Checker: "tcp_check 10.10.10.32:80", At: at.Add(-time.Second),
						Latency: control.Duration(1200 * time.Microsecond), Error: "connect: connection refused"}},
			},
		}},
		SyncDaemon: &control.SyncDaemon{Role: "master", Interface: "eth0", SyncID: 51, Instance: "VI_1"},
		BGP: &control.BGP{ASN: 65001, RouterID: "10.10.10.30",
			Neighbors: []control.BGPNeighbor{{Address: "10.10.10.1", PeerASN: 65000, State: "ESTABLISHED", Up: true, Since: at.Add(-time.Hour)}},
			Prefixes: []control.BGPPrefix{{Prefix: "10.10.10.22/32", Announce: "web", Announced: true, Reason: "quorum up", Since: at.Add(-time.Hour)},
				{Prefix: "10.10.10.23/32", Announce: "dns", Reason: "quorum lost: 10.10.10.23:53/UDP"}}},
		Events: []control.Event{
			{At: at.Add(-5 * time.Minute), Kind: "reload", Subject: "/etc/halvs/halvs.hcl", State: "failure", Message: "reload refused, the running configuration is kept"},
			{At: at.Add(-time.Hour), Kind: "check", Subject: "10.10.10.22:80/TCP → 10.10.10.32:80", State: "down", Message: "real server 10.10.10.32:80 down: tcp_check: connect: connection refused"},
			{At: at.Add(-2*time.Hour - 4*time.Minute), Kind: "vrrp", Subject: "VI_1", State: "MASTER", Message: "BACKUP → MASTER: master down timer expired"},
		},
	}
}

func get(t *testing.T, h http.Handler, method, path string) *httptest.ResponseRecorder {
	t.Helper()
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(method, path, nil))
	return w
}

func handler(st *control.Status, err error) http.Handler {
	return Handler(func(context.Context) (*control.Status, error) { return st, err }, "1.2.3", slog.New(slog.NewTextHandler(io.Discard, nil)))
}

// TestPageGolden: the server-rendered page, byte for byte (rewrite with -update, then
// read the diff).
func TestPageGolden(t *testing.T) {
	for name, st := range map[string]*control.Status{
		"sample": sample(),
		"empty":  {SchemaVersion: control.StatusVersion, Time: at, RouterID: "director-b"},
	} {
		t.Run(name, func(t *testing.T) {
			w := get(t, handler(st, nil), "GET", "/")
			if w.Code != http.StatusOK {
				t.Fatalf("GET /: %d %s", w.Code, w.Body)
			}
			got := w.Body.String()
			path := filepath.Join("testdata", name+".golden.html")
			if *update {
				if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if diff := cmp.Diff(string(want), got); diff != "" {
				t.Errorf("%s (-want +got):\n%s", path, diff)
			}
		})
	}
}

// TestPageShows: the rows an operator looks for, in the classes the page colours.
func TestPageShows(t *testing.T) {
	body := get(t, handler(sample(), nil), "GET", "/").Body.String()
	for _, want := range []string{
		`<tr class="inst" data-name="VI_1"><td>VI_1</td><td class="state st-MASTER">MASTER</td>`,
		`<td class="state st-FAULT">FAULT</td>`,
		`<tr class="rs h-up" data-addr="10.10.10.31:80"><td>10.10.10.31:80</td><td class="health">up</td><td class="n">3</td><td class="n">3</td><td class="n">12</td><td class="n">40</td>`,
		`<tr class="rs h-down" data-addr="10.10.10.32:80"><td>10.10.10.32:80</td><td class="health">down</td><td class="n">3</td><td class="n">out</td>`,
		`<th class="n">2.4k</th>`, // InPPS
		`<th class="n">3.0MiB/s</th>`,
		`file drain =3 -2`,
		`<td>eth1 <span class="dim">vmac vrrp.52</span></td>`,
		`<tr class="ev k-vrrp s-MASTER">`,
		`<span id="reload" class="reload-failure">failure at 2026-03-01 11:55:00: /etc/halvs/halvs.hcl:9:11: error: state must be &#34;MASTER&#34;`,
		`<span id="live" data-ms="2000">`,
		`<tr class="nb up" data-addr="10.10.10.1"><td>neighbor 10.10.10.1</td><td class="health">ESTABLISHED</td>`,
		`<tr class="px down" data-prefix="10.10.10.23/32"><td>prefix 10.10.10.23/32</td><td class="health">withdrawn</td>`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("page lacks %s", want)
		}
	}
}

// TestPageEscapes: names and reasons come from the config and from the network (checker
// errors); they are text, never markup.
func TestPageEscapes(t *testing.T) {
	st := sample()
	st.Instances[0].LastTransition.Reason = `<script>alert(1)</script>`
	st.Events[0].Message = `<img src=x onerror=alert(1)>`
	body := get(t, handler(st, nil), "GET", "/").Body.String()
	for _, bad := range []string{"<script>alert", "<img src=x"} {
		if strings.Contains(body, bad) {
			t.Errorf("page carries %q unescaped", bad)
		}
	}
	if !strings.Contains(body, "&lt;script&gt;alert(1)&lt;/script&gt;") {
		t.Error("the reason is not shown escaped")
	}
}

// TestStatusJSON: the page's script reads the very document the control socket serves.
func TestStatusJSON(t *testing.T) {
	w := get(t, handler(sample(), nil), "GET", PathJSON)
	if w.Code != http.StatusOK || w.Header().Get("Content-Type") != "application/json" {
		t.Fatalf("GET %s: %d %q", PathJSON, w.Code, w.Header().Get("Content-Type"))
	}
	var got control.Status
	if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(sample(), &got, cmpopts.EquateComparable(netip.Addr{}, netip.Prefix{}, netip.AddrPort{})); diff != "" {
		t.Errorf("%s (-want +got):\n%s", PathJSON, diff)
	}
}

func TestAnswers(t *testing.T) {
	tests := []struct {
		name         string
		err          error
		method, path string
		want         int
	}{
		{"page", nil, "GET", "/", 200},
		{"page HEAD", nil, "HEAD", "/", 200},
		{"json", nil, "GET", "/status.json", 200},
		{"other path", nil, "GET", "/admin", 404},
		{"status unreadable", errors.New("director stopping"), "GET", "/", 503},
		{"json unreadable", errors.New("director stopping"), "GET", "/status.json", 503},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := sample()
			if tt.err != nil {
				st = nil
			}
			w := get(t, handler(st, tt.err), tt.method, tt.path)
			if w.Code != tt.want {
				t.Errorf("%s %s: %d, want %d", tt.method, tt.path, w.Code, tt.want)
			}
			if tt.want == 200 && (w.Header().Get("Cache-Control") != "no-store" || !strings.Contains(w.Header().Get("Content-Security-Policy"), "connect-src 'self'")) {
				t.Errorf("%s %s: headers %v", tt.method, tt.path, w.Header())
			}
		})
	}
}

func TestRate(t *testing.T) {
	tests := []struct {
		n    uint64
		want string
	}{{0, "0"}, {999, "999"}, {1000, "1.0k"}, {2400, "2.4k"}, {4_100_000, "4.1M"}, {7e15, "7000.0T"}}
	for _, tt := range tests {
		if got := rate(tt.n); got != tt.want {
			t.Errorf("rate(%d) = %q, want %q", tt.n, got, tt.want)
		}
	}
}

// TestScriptAllowed: the content policy names the page's script by its hash, so the browser
// runs it, and allows no other script.
func TestScriptAllowed(t *testing.T) {
	w := get(t, handler(sample(), nil), "GET", "/")
	script := inlineScript(w.Body.String())
	if !strings.Contains(script, "function refresh()") {
		t.Fatalf("no script found in the page:\n%s", script)
	}
	policy := w.Header().Get("Content-Security-Policy")
	want := "script-src 'sha256-" + base64.StdEncoding.EncodeToString(sha256Of(script)) + "';"
	if !strings.Contains(policy, want) || strings.Contains(policy, "script-src 'unsafe-inline'") {
		t.Errorf("Content-Security-Policy %q, want %q and no unsafe-inline script", policy, want)
	}
}
