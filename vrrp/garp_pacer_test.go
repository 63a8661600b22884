package vrrp

import (
	"net/netip"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// fakeNow is a clock the pacer reads and the test moves.
type fakeNow struct{ t time.Time }

func (f *fakeNow) now() time.Time                 { return f.t }
func (f *fakeNow) sleep(d time.Duration)          { f.t = f.t.Add(d) }
func (f *fakeNow) add(d time.Duration)            { f.t = f.t.Add(d) }
func (f *fakeNow) rel(at time.Time) time.Duration { return at.Sub(t0) }

const ms = time.Millisecond

// TestAnnouncePacer: keepalived's per-interface delays. An interface in no group is paced on
// its own with the global intervals; a garp_group's interfaces share one delay, ARP and NA
// apart, and the group's intervals replace the global ones (an interval the group leaves
// out is no pacing); a VMAC counts against its base interface.
func TestAnnouncePacer(t *testing.T) {
	type res struct {
		dev  string
		ipv6 bool
		adv  time.Duration // the clock moves this much before the announcement
	}
	tests := []struct {
		name string
		cfg  AnnouncePacing
		seq  []res
		want []time.Duration // when each went, from t0 (one after the other, as a worker sends them)
	}{
		{"no pacing", AnnouncePacing{}, []res{{"eth0", false, 0}, {"eth0", false, 0}, {"eth0", true, 0}},
			[]time.Duration{0, 0, 0}},
		{"global interval, per interface", AnnouncePacing{ARPInterval: 10 * ms},
			[]res{{"eth0", false, 0}, {"eth0", false, 0}, {"eth1", false, 0}, {"eth0", false, 0}, {"eth0", true, 0}},
			[]time.Duration{0, 10 * ms, 10 * ms, 20 * ms, 20 * ms}},
		{"a quiet interface announces at once", AnnouncePacing{ARPInterval: 10 * ms},
			[]res{{"eth0", false, 0}, {"eth0", false, 4 * ms}, {"eth0", false, 30 * ms}},
			[]time.Duration{0, 10 * ms, 40 * ms}},
		{"a group shares one delay across its interfaces", AnnouncePacing{ARPInterval: 5 * ms, NAInterval: 5 * ms,
			Groups: []AnnounceGroup{{ARPInterval: 50 * ms, NAInterval: 20 * ms, Interfaces: []string{"eth0", "eth1"}}}},
			[]res{{"eth0", false, 0}, {"eth1", false, 0}, {"eth0", true, 0}, {"eth1", true, 0}, {"eth0", false, 0}, {"eth2", false, 0}, {"eth2", false, 0}},
			[]time.Duration{0, 50 * ms, 50 * ms, 70 * ms, 100 * ms, 100 * ms, 105 * ms}},
		{"a group without gna_interval does not pace NAs", AnnouncePacing{NAInterval: 30 * ms,
			Groups: []AnnounceGroup{{ARPInterval: 10 * ms, Interfaces: []string{"eth0"}}}},
			[]res{{"eth0", true, 0}, {"eth0", true, 0}, {"eth1", true, 0}, {"eth1", true, 0}},
			[]time.Duration{0, 0, 0, 30 * ms}},
		{"a VMAC counts against its base", AnnouncePacing{Bases: map[string]string{"vrrp.51": "eth0"},
			Groups: []AnnounceGroup{{ARPInterval: 10 * ms, Interfaces: []string{"eth0"}}}},
			[]res{{"eth0", false, 0}, {"vrrp.51", false, 0}, {"vrrp.51", false, 0}},
			[]time.Duration{0, 10 * ms, 20 * ms}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clk := &fakeNow{t: t0}
			p := newAnnouncePacer(clk.now, clk.sleep)
			p.set(tt.cfg)
			var got []time.Duration
			for _, r := range tt.seq {
				clk.add(r.adv)
				got = append(got, sent(p, clk, r.dev, r.ipv6, time.Time{}))
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("announcement times (-want +got):\n%s", diff)
			}
		})
	}
}

// sent is when p lets an announcement on dev go, from t0.
func sent(p *announcePacer, clk *fakeNow, dev string, ipv6 bool, notBefore time.Time) time.Duration {
	var at time.Time
	p.announce(dev, ipv6, notBefore, func() { at = clk.now() })
	return clk.rel(at)
}

// TestAnnouncePacerNotBefore: an instance's own garp_interval delays its reservation, which
// then books the interface from that time; a reload that keeps a group's intervals keeps
// its booking, one that changes them starts afresh.
func TestAnnouncePacerNotBefore(t *testing.T) {
	clk := &fakeNow{t: t0}
	p := newAnnouncePacer(clk.now, clk.sleep)
	g := AnnouncePacing{Groups: []AnnounceGroup{{ARPInterval: 10 * ms, Interfaces: []string{"eth0"}}}}
	p.set(g)
	if at := sent(p, clk, "eth0", false, t0.Add(25*ms)); at != 25*ms {
		t.Errorf("reservation not before 25ms at %v", at)
	}
	if at := sent(p, clk, "eth0", false, time.Time{}); at != 35*ms {
		t.Errorf("next reservation at %v, want 35ms", at)
	}
	p.set(g)
	if at := sent(p, clk, "eth0", false, time.Time{}); at != 45*ms {
		t.Errorf("after an unchanged reload at %v, want 45ms", at)
	}
	g.Groups[0].ARPInterval = 5 * ms
	p.set(g)
	if at := sent(p, clk, "eth0", false, time.Time{}); at != 45*ms {
		t.Errorf("after a reload changing the interval at %v, want at once (45ms)", at)
	}
}

// TestGARPGroupPacesInstancesTogether: two instances on one interface become MASTER
// together; with the interface's garp_interval their gratuitous ARPs go out spaced by it,
// not each instance's on its own.
func TestGARPGroupPacesInstancesTogether(t *testing.T) {
	l := newLab(t)
	a := l.host(hostA)
	ann := &timedAnnouncer{}
	a.r.deps.Announcer = ann
	a.r.SetAnnouncePacing(AnnouncePacing{Groups: []AnnounceGroup{{ARPInterval: 20 * ms, Interfaces: []string{"eth0"}}}})
	c1, c2 := vi1(255), vi1(255)
	c2.Name, c2.VRID, c2.VIPs = "VI_2", 52, []VIP{{Prefix: netip.MustParsePrefix("10.10.10.23/32")}}
	for _, c := range []*InstanceConfig{&c1, &c2} {
		c.GARPRepeat, c.GARPDelay = 3, -1
	}
	a.apply(t, c1, c2)
	l.settle()
	ann.mu.Lock()
	defer ann.mu.Unlock()
	if len(ann.at) != 6 {
		t.Fatalf("%d announcements, want 6 (3 for each of 2 instances)", len(ann.at))
	}
	for k := 1; k < len(ann.at); k++ {
		if gap := ann.at[k].Sub(ann.at[k-1]); gap < 20*ms {
			t.Errorf("announcement %d came %v after the one before, want at least the interface's garp_interval 20ms", k, gap)
		}
	}
}
