package bgp_test

import (
	"context"
	"log/slog"
	"net/netip"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/halvs/halvs/bgp"
	"github.com/halvs/halvs/bgp/bgptest"
)

var (
	webVIP = netip.MustParsePrefix("10.10.10.22/32")
	dnsVIP = netip.MustParsePrefix("10.10.10.53/32")
	v6VIP  = netip.MustParsePrefix("2001:db8::22/128")
)

func testConfig() bgp.Config {
	return bgp.Config{
		Interface: "halvs0",
		Speaker: bgp.SpeakerConfig{ASN: 65010, RouterID: netip.MustParseAddr("10.0.0.11"),
			Neighbors: []bgp.Neighbor{{Addr: netip.MustParseAddr("10.0.0.1"), PeerASN: 65000, HoldTime: 3 * time.Second, Port: 179}}},
		Announces: []bgp.Announce{
			{Name: "web", Prefixes: []netip.Prefix{webVIP, v6VIP}, Track: []string{"10.10.10.22:80", "10.10.10.22:443"}, DrainTime: 5 * time.Second},
			{Name: "dns", Prefixes: []netip.Prefix{dnsVIP}, DrainTime: 2 * time.Second},
		},
	}
}

// step is one thing that happens to the Announcer.
type step struct {
	do   string   // "start", "quorum NAME up|down", "drain", "undrain"
	want []string // the prefixes announced after it
}

func TestAnnouncerGating(t *testing.T) {
	web80, web443 := "10.10.10.22:80", "10.10.10.22:443"
	all := []string{"10.10.10.22/32", "10.10.10.53/32", "2001:db8::22/128"}
	dnsOnly := []string{"10.10.10.53/32"}
	tests := []struct {
		name  string
		steps []step
	}{
		{name: "untracked at once, tracked once every quorum is known", steps: []step{
			{do: "start", want: dnsOnly},
			{do: "quorum " + web80 + " up", want: dnsOnly},
			{do: "quorum " + web443 + " up", want: all},
		}},
		{name: "one lost quorum withdraws, recovery announces again", steps: []step{
			{do: "start", want: dnsOnly},
			{do: "quorum " + web80 + " up", want: dnsOnly},
			{do: "quorum " + web443 + " up", want: all},
			{do: "quorum " + web443 + " down", want: dnsOnly},
			{do: "quorum " + web80 + " down", want: dnsOnly},
			{do: "quorum " + web443 + " up", want: dnsOnly},
			{do: "quorum " + web80 + " up", want: all},
		}},
		{name: "quorum known before start", steps: []step{
			{do: "quorum " + web80 + " up", want: nil},
			{do: "quorum " + web443 + " up", want: nil},
			{do: "start", want: all},
		}},
		{name: "first report is a loss", steps: []step{
			{do: "start", want: dnsOnly},
			{do: "quorum " + web80 + " down", want: dnsOnly},
			{do: "quorum " + web443 + " up", want: dnsOnly},
		}},
		{name: "drain withdraws all, quorum changes keep it drained, undrain announces", steps: []step{
			{do: "start", want: dnsOnly},
			{do: "quorum " + web80 + " up", want: dnsOnly},
			{do: "quorum " + web443 + " up", want: all},
			{do: "drain", want: nil},
			{do: "quorum " + web80 + " down", want: nil},
			{do: "quorum " + web80 + " up", want: nil},
			{do: "undrain", want: all},
		}},
		{name: "undrain announces only what has quorum", steps: []step{
			{do: "start", want: dnsOnly},
			{do: "drain", want: nil},
			{do: "quorum " + web80 + " up", want: nil},
			{do: "quorum " + web443 + " down", want: nil},
			{do: "undrain", want: dnsOnly},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			sp := bgptest.NewSpeaker()
			a := bgp.NewAnnouncer(sp, bgptest.NewAddresses(), quiet)
			for i, s := range tc.steps {
				f := strings.Fields(s.do)
				switch f[0] {
				case "start":
					if err := a.Start(context.Background(), testConfig()); err != nil {
						t.Fatal(err)
					}
				case "quorum":
					a.SetQuorum(f[1], f[2] == "up")
				case "drain":
					a.Drain()
				case "undrain":
					a.Undrain()
				}
				if diff := cmp.Diff(s.want, sp.Announced()); diff != "" {
					t.Errorf("after step %d %q: announced (-want +got):\n%s", i, s.do, diff)
				}
			}
		})
	}
}

// TestAnnouncerReload: neighbors change in place, a dropped prefix is withdrawn and a new one
// announced by the same rule, and a new AS restarts the speaker and announces again.
func TestAnnouncerReload(t *testing.T) {
	sp := bgptest.NewSpeaker()
	addrs := bgptest.NewAddresses()
	a := bgp.NewAnnouncer(sp, addrs, quiet)
	ctx := context.Background()
	c := testConfig()
	if err := a.Start(ctx, c); err != nil {
		t.Fatal(err)
	}
	a.SetQuorum("10.10.10.22:80", true)
	a.SetQuorum("10.10.10.22:443", true)

	c2 := testConfig()
	c2.Speaker.Neighbors = append(c2.Speaker.Neighbors, bgp.Neighbor{Addr: netip.MustParseAddr("10.0.0.2"), PeerASN: 65000, HoldTime: 3 * time.Second, Port: 179})
	c2.Announces[1].Prefixes = []netip.Prefix{netip.MustParsePrefix("10.10.10.54/32")}
	sp.ResetLog()
	if err := a.Reload(ctx, c2); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"neighbors", "+10.10.10.54/32", "-10.10.10.53/32"}, sortedTail(sp.Log())); diff != "" {
		t.Errorf("reload of neighbors and prefixes (-want +got):\n%s", diff)
	}
	if len(sp.Peers()) != 2 || sp.Starts() != 1 {
		t.Errorf("neighbors %v, starts %d; want 2 neighbors in place, 1 start", sp.Peers(), sp.Starts())
	}
	wantAddrs := []netip.Prefix{webVIP, v6VIP, netip.MustParsePrefix("10.10.10.54/32")}
	if diff := cmp.Diff(wantAddrs, ifAddrs(addrs, "halvs0"), cmp.Comparer(func(a, b netip.Prefix) bool { return a == b })); diff != "" {
		t.Errorf("interface addresses (-want +got):\n%s", diff)
	}

	c3 := c2
	c3.Speaker.ASN = 65011
	sp.ResetLog()
	if err := a.Reload(ctx, c3); err != nil {
		t.Fatal(err)
	}
	if log := sp.Log(); len(log) < 2 || log[0] != "stop" || log[1] != "start" || sp.Starts() != 2 {
		t.Errorf("a new asn: speaker log %q, want stop, start, then the announcements", log)
	}
	if diff := cmp.Diff([]string{"10.10.10.22/32", "10.10.10.54/32", "2001:db8::22/128"}, sp.Announced()); diff != "" {
		t.Errorf("announced after the restart (-want +got):\n%s", diff)
	}
}

// sortedTail keeps the first entry (what the reload did first) and sorts the rest, whose
// order follows a map.
func sortedTail(log []string) []string {
	if len(log) < 2 {
		return log
	}
	out := slices.Clone(log)
	sort.Strings(out[1:])
	return out
}

// TestAnnouncerStopWithdrawsThenWaits: Stop withdraws before it waits drain_time and stops
// the speaker after; a Drain earlier counts toward the wait; ctx ends the wait early.
func TestAnnouncerStopWithdrawsThenWaits(t *testing.T) {
	for _, tc := range []struct {
		name     string
		drainFor time.Duration
		preDrain bool
		cancel   bool
		minWait  time.Duration
		maxWait  time.Duration
	}{
		{name: "waits drain_time", drainFor: 300 * time.Millisecond, minWait: 300 * time.Millisecond, maxWait: 10 * time.Second},
		{name: "cancelled", drainFor: time.Hour, cancel: true, maxWait: 10 * time.Second},
		{name: "drained long ago", drainFor: 200 * time.Millisecond, preDrain: true, maxWait: 150 * time.Millisecond},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sp := bgptest.NewSpeaker()
			addrs := bgptest.NewAddresses()
			a := bgp.NewAnnouncer(sp, addrs, quiet)
			c := testConfig()
			c.Announces[1].DrainTime = tc.drainFor
			if err := a.Start(context.Background(), c); err != nil {
				t.Fatal(err)
			}
			if tc.preDrain {
				a.Drain()
				time.Sleep(tc.drainFor + 50*time.Millisecond)
			}
			ctx, cancel := context.WithCancel(context.Background())
			if tc.cancel {
				cancel()
			}
			defer cancel()
			start := time.Now()
			a.Stop(ctx)
			took := time.Since(start)
			if took < tc.minWait || took > tc.maxWait {
				t.Errorf("Stop took %v, want %v..%v", took, tc.minWait, tc.maxWait)
			}
			want := []string{"start", "+10.10.10.53/32", "-10.10.10.53/32", "stop"}
			if diff := cmp.Diff(want, sp.Log()); diff != "" {
				t.Errorf("speaker log (-want +got):\n%s", diff)
			}
			if _, ok := addrs.Of("halvs0"); ok {
				t.Errorf("the interface is still there after Stop")
			}
		})
	}
}

var quiet = slog.New(slog.DiscardHandler)

func ifAddrs(a *bgptest.Addresses, name string) []netip.Prefix {
	l, _ := a.Of(name)
	return l
}
