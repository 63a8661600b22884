package main

import (
	"bytes"
	"context"
	"io"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/halvs/halvs/control"
)

// fakeControl plays a director: MASTER until Failover, then each Status call advances a
// script of states (the peer's advert arriving, or this director taking the VIPs back).
type fakeControl struct {
	st    control.Status
	after []func(*control.Instance)
	req   *control.FailoverRequest
	sent  time.Time
}

func (f *fakeControl) Status(context.Context) (*control.Status, error) {
	if f.req != nil && len(f.after) > 0 {
		f.after[0](&f.st.Instances[0])
		f.after = f.after[1:]
	}
	st := f.st
	st.Instances = append([]control.Instance(nil), f.st.Instances...)
	return &st, nil
}

func (f *fakeControl) Failover(_ context.Context, r control.FailoverRequest) (*control.FailoverResult, error) {
	f.req = &r
	in := &f.st.Instances[0]
	in.State = "BACKUP"
	return &control.FailoverResult{Instances: []string{in.Name}, Sent: f.sent, HoldUntil: f.sent.Add(time.Duration(r.Hold))}, nil
}

var (
	selfAddr = netip.MustParseAddr("192.0.2.1")
	peerIP   = netip.MustParseAddr("192.0.2.2")
	t0       = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
)

func masterStatus() control.Status {
	return control.Status{Instances: []control.Instance{{Name: "VI_1", State: "MASTER", MasterAddr: selfAddr,
		MasterSince: t0.Add(-time.Hour), VIPs: []netip.Prefix{netip.MustParsePrefix("192.0.2.100/24")}}}}
}

func TestHandOver(t *testing.T) {
	peerHeard := func(in *control.Instance) { in.MasterAddr, in.MasterSince = peerIP, t0.Add(42*time.Millisecond) }
	tests := []struct {
		name   string
		script []func(*control.Instance)
		want   takeover
		out    string
	}{
		{"peer claims", []func(*control.Instance){func(*control.Instance) {}, peerHeard},
			takeover{Instance: "VI_1", Self: selfAddr, Sent: t0, HoldUntil: t0.Add(30 * time.Second), Peer: peerIP, Took: 42 * time.Millisecond},
			"VI_1: sent priority 0 at 12:00:00.000; this director (192.0.2.1) is BACKUP until 12:00:30.000\n" +
				"VI_1: 192.0.2.2 claimed the VIPs after 42ms (its first advert as MASTER)\n"},
		{"nobody claims", []func(*control.Instance){func(in *control.Instance) { in.State = "MASTER" }},
			takeover{Instance: "VI_1", Self: selfAddr, Sent: t0, HoldUntil: t0.Add(30 * time.Second), TookBack: true},
			"VI_1: sent priority 0 at 12:00:00.000; this director (192.0.2.1) is BACKUP until 12:00:30.000\n" +
				"VI_1: no peer took over; this director took the VIPs back (is the peer running, on the same VRID and authentication?)\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &fakeControl{st: masterStatus(), after: tt.script, sent: t0}
			got, err := handOver(context.Background(), f, "", 30*time.Second)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(&tt.want, got, netipCmp); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(control.FailoverRequest{Instance: "VI_1", Hold: control.Duration(30 * time.Second)}, *f.req); diff != "" {
				t.Errorf("request (-want +got):\n%s", diff)
			}
			var b bytes.Buffer
			if moved := got.render(&b, time.UTC); moved != got.Peer.IsValid() {
				t.Errorf("render says moved=%v", moved)
			}
			if diff := cmp.Diff(tt.out, b.String()); diff != "" {
				t.Errorf("output (-want +got):\n%s", diff)
			}
		})
	}
}

func TestPickMaster(t *testing.T) {
	st := &control.Status{Instances: []control.Instance{{Name: "VI_1", State: "MASTER"}, {Name: "VI_2", State: "BACKUP"}, {Name: "VI_3", State: "MASTER"}}}
	tests := []struct{ name, want, err string }{
		{"VI_1", "VI_1", ""},
		{"VI_2", "", "VI_2 is BACKUP here, not MASTER"},
		{"nope", "", `no such vrrp_instance: "nope" (this director has VI_1 MASTER, VI_2 BACKUP, VI_3 MASTER)`},
		{"", "", "several instances are MASTER here; choose one with --instance"},
	}
	for _, tt := range tests {
		in, err := pickMaster(st, tt.name)
		switch {
		case tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)):
			t.Errorf("pickMaster(%q) error %v, want %q", tt.name, err, tt.err)
		case tt.err == "" && (err != nil || in.Name != tt.want):
			t.Errorf("pickMaster(%q) = %v, %v", tt.name, in, err)
		}
	}
}

func TestSummarise(t *testing.T) {
	ms := func(n int) time.Time { return t0.Add(time.Duration(n) * time.Millisecond) }
	tests := []struct {
		name   string
		probes []probe
		failed int
		outage time.Duration
	}{
		{"clean", []probe{{At: ms(0), OK: true}, {At: ms(50), OK: true}}, 0, 0},
		{"one gap", []probe{{At: ms(0), OK: true}, {At: ms(50), Err: "refused"}, {At: ms(100), Err: "refused"}, {At: ms(150), OK: true}}, 2, 100 * time.Millisecond},
		{"longest of two", []probe{{At: ms(0), Err: "x"}, {At: ms(50), OK: true}, {At: ms(100), Err: "x"}, {At: ms(150), Err: "x"}, {At: ms(200), Err: "x"}, {At: ms(250), OK: true}}, 4, 150 * time.Millisecond},
		{"fails to the end", []probe{{At: ms(0), OK: true}, {At: ms(50), Err: "x"}, {At: ms(300), Err: "x"}}, 2, 250 * time.Millisecond},
	}
	for _, tt := range tests {
		failed, outage, _ := summarise(tt.probes)
		if failed != tt.failed || outage != tt.outage {
			t.Errorf("%s: failed %d outage %v, want %d %v", tt.name, failed, outage, tt.failed, tt.outage)
		}
	}
}

func TestFailoverAndDrillUsage(t *testing.T) {
	tests := []struct {
		name string
		run  func([]string, *bytes.Buffer, *bytes.Buffer) int
		args []string
		code int
		want string
	}{
		{"failover both", wrap(runFailover), []string{"-c", "x", "--socket", "y"}, exitUsage, "not both"},
		{"failover hold", wrap(runFailover), []string{"--hold", "0s"}, exitUsage, "--hold"},
		{"failover extra", wrap(runFailover), []string{"now"}, exitUsage, "unexpected argument"},
		{"failover no halvs", wrap(runFailover), []string{"--socket", "/nonexistent/halvs.sock"}, exitFailure, "no halvs is running"},
		{"drill rate", wrap(runDrill), []string{"--requests-per-second", "0"}, exitUsage, "--requests-per-second"},
		{"drill vip", wrap(runDrill), []string{"--vip", "10.0.0"}, exitUsage, "not an IP address"},
		{"drill http", wrap(runDrill), []string{"--http", "index.html"}, exitUsage, "must start with /"},
		{"drill port", wrap(runDrill), []string{"--port", "70000"}, exitUsage, "--port"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			if code := tt.run(tt.args, &stdout, &stderr); code != tt.code {
				t.Errorf("exit %d, want %d; stderr:\n%s", code, tt.code, stderr.String())
			}
			if !strings.Contains(stderr.String(), tt.want) {
				t.Errorf("stderr lacks %q:\n%s", tt.want, stderr.String())
			}
		})
	}
}

func wrap(f func([]string, io.Writer, io.Writer) int) func([]string, *bytes.Buffer, *bytes.Buffer) int {
	return func(a []string, o, e *bytes.Buffer) int { return f(a, o, e) }
}
