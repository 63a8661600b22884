package vrrp

import (
	"bytes"
	"encoding/json"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/halvs/halvs/internal/logtest"
	"github.com/halvs/halvs/internal/testutil"
)

// lockedBuffer is a bytes.Buffer the instances' goroutines write concurrently.
type lockedBuffer = testutil.Buffer

// TestVIPAndAnnouncementLogLines: each VIP added or removed and each burst of gratuitous
// ARPs or neighbour adverts gets one info line in keepalived's words, states are logged by
// name, and no line repeats a key.
func TestVIPAndAnnouncementLogLines(t *testing.T) {
	l := newLab(t)
	var logs lockedBuffer
	l.logTo = &logs
	a := l.host(hostA)
	v6 := netip.MustParsePrefix("2001:db8::22/64")
	cfg := vi1(255)
	cfg.ExcludedVIPs = []VIP{{Prefix: v6, Dev: "eth0"}}
	cfg.GARPRepeat, cfg.GARPDelay = 2, 2*time.Second
	a.apply(t, cfg)
	l.advance(2 * time.Second) // the second burst
	cfg.ExcludedVIPs = nil
	a.apply(t, cfg) // a reload drops the IPv6 VIP
	l.settle()
	a.r.Shutdown()
	l.settle()

	// The loop logs a transition and the kernel worker the VIP work, each in its own order.
	type line struct{ Msg, From, VIP, Dev, By string }
	var states, vips []line
	for _, raw := range bytes.Split(logs.Bytes(), []byte("\n")) {
		var ln line
		if len(raw) == 0 || json.Unmarshal(raw, &ln) != nil {
			continue
		}
		switch {
		case strings.HasPrefix(ln.Msg, "Entering"):
			states = append(states, ln)
		case strings.Contains(ln.Msg, "VIP") || strings.HasPrefix(ln.Msg, "Sending"):
			vips = append(vips, ln)
		}
	}
	v4, v6s := vipPfx.String(), v6.String()
	arp := line{Msg: "Sending/queueing gratuitous ARPs", VIP: vipPfx.Addr().String(), Dev: "eth0"}
	na := line{Msg: "Sending/queueing Unsolicited Neighbour Adverts", VIP: v6.Addr().String(), Dev: "eth0"}
	want := [][]line{{
		{Msg: "Entering MASTER STATE", From: "INIT"},
		{Msg: "Entering STOP STATE", From: "MASTER"},
	}, {
		{Msg: "setting VIP", VIP: v4, Dev: "eth0"},
		{Msg: "setting VIP", VIP: v6s, Dev: "eth0"},
		arp, na, // the first burst
		arp, na, // the second, after garp_master_delay
		{Msg: "removing VIP", VIP: v6s, Dev: "eth0", By: "reload"},
		{Msg: "removing VIP", VIP: v4, Dev: "eth0"},
	}}
	if diff := cmp.Diff(want, [][]line{states, vips}); diff != "" {
		t.Errorf("log lines (-want +got):\n%s\nall:\n%s", diff, logs.Bytes())
	}
	for _, p := range logtest.CheckJSONLines(logs.Bytes()) {
		t.Error(p)
	}
}

// TestReannounceLinesAreLimited: a peer that keeps sending lower-priority adverts brings a
// re-announcement each advert interval; their burst lines pass the advert path's log limit
// (logBurst a window) while every burst is still sent.
func TestReannounceLinesAreLimited(t *testing.T) {
	l := newLab(t)
	var logs lockedBuffer
	l.logTo = &logs
	a := l.host(hostA)
	a.apply(t, vi1(150))
	l.advance(5*time.Second + DefaultGARPDelay) // MASTER, and its second burst sent
	i := a.r.Instance("VI_1")
	if s := i.Status().State; s != StateMaster {
		t.Fatalf("A is %v, want MASTER", s)
	}
	start := bytes.Count(logs.Bytes(), []byte(`"msg":"Sending/queueing gratuitous ARPs"`))
	garps := a.ann.Total()
	const answers = 3 * logBurst
	p := lowerAdvert(t, 50)
	for range answers { // one a second: each is answered, with a burst
		a.port.Inject(p)
		l.settle()
		l.advance(time.Second)
	}
	if n := a.ann.Total() - garps; n < answers*DefaultGARPRepeat {
		t.Errorf("%d announcements for %d answered adverts, want %d", n, answers, answers*DefaultGARPRepeat)
	}
	lines := bytes.Count(logs.Bytes(), []byte(`"msg":"Sending/queueing gratuitous ARPs"`)) - start
	// Within answers seconds (less than two windows), at most two windows' worth pass.
	if lines < 1 || lines > 2*logBurst {
		t.Errorf("%d burst lines for %d re-announcements, want between 1 and %d", lines, answers, 2*logBurst)
	}
}
