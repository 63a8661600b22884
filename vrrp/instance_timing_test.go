package vrrp

import (
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/halvs/halvs/internal/clock/clocktest"
	"github.com/halvs/halvs/vrrp/vrrptest"
)

// TestLowerPrioAnswer: what a MASTER sends when a lower-priority advert shows another
// master: its own advert unless lower_prio_no_advert, garp_lower_prio_repeat announcements,
// and again after garp_lower_prio_delay.
func TestLowerPrioAnswer(t *testing.T) {
	type counts struct{ Adverts, GARPs, GARPsAfterDelay int }
	tests := []struct {
		name   string
		timing InstanceTiming
		want   counts
	}{
		{name: "default: an advert and the master burst", want: counts{1, 3, 3}},
		{name: "lower_prio_no_advert: announcements only", timing: InstanceTiming{LowerPrioNoAdvert: true}, want: counts{0, 3, 3}},
		{name: "garp_lower_prio_repeat 2, delay 2s", timing: InstanceTiming{GARPLowerPrioRepeat: 2, GARPLowerPrioDelay: 2 * time.Second},
			want: counts{1, 2, 4}},
		{name: "garp_lower_prio_repeat 0: no announcements", timing: InstanceTiming{GARPLowerPrioRepeat: -1}, want: counts{1, 0, 0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := newLab(t)
			a := l.host(hostA)
			cfg := vi1(255)
			cfg.GARPRepeat, cfg.GARPDelay, cfg.Timing = 3, -1, tt.timing
			a.apply(t, cfg)
			l.settle()
			inst := a.r.Instance("VI_1")
			sent, garps := inst.Counters().AdvertsSent, a.ann.Count(vipPfx.Addr())
			adv := Advertisement{Version: 3, Type: TypeAdvertisement, VRID: 51, Priority: 50,
				Interval: time.Second, Addrs: []netip.Addr{vipPfx.Addr()}}
			a.port.Inject(Packet{Src: hostB, Dst: MulticastIPv4, HopLimit: 255, Payload: mustMarshal(t, adv, hostB, MulticastIPv4, CodecOptions{})})
			l.settle()
			var got counts
			got.Adverts = int(inst.Counters().AdvertsSent - sent)
			got.GARPs = a.ann.Count(vipPfx.Addr()) - garps
			l.advance(2 * time.Second)
			got.GARPsAfterDelay = a.ann.Count(vipPfx.Addr()) - garps
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("answer (-want +got):\n%s", diff)
			}
		})
	}
}

// TestStartupDelay: with vrrp_startup_delay the instances stay in INIT, sending nothing,
// until the delay has passed since the Router started.
func TestStartupDelay(t *testing.T) {
	l := newLab(t)
	a := l.host(hostA)
	a.r.deps.startupUntil = l.clock.Now().Add(3 * time.Second) // as NewRouter sets it
	a.apply(t, vi1(255))
	l.settle()
	l.advance(2900 * time.Millisecond)
	inst := a.r.Instance("VI_1")
	if st, sent := state(a), inst.Counters().AdvertsSent; st != StateInit || sent != 0 {
		t.Fatalf("before the delay: %v with %d adverts sent, want INIT and none", st, sent)
	}
	l.advance(200 * time.Millisecond)
	st := inst.Status()
	if want := t0.Add(3 * time.Second); st.State != StateMaster || !st.Since.Equal(want) {
		t.Errorf("after the delay: %v since %v, want MASTER since %v", st.State, st.Since.Sub(t0), want.Sub(t0))
	}
}

func TestNewRouterSetsStartupDelay(t *testing.T) {
	clock := clocktest.New(t0)
	r, err := NewRouter(Deps{Addresser: &vrrptest.Addresser{}, Announcer: &vrrptest.Announcer{}, Clock: clock,
		OpenTransport: func(TransportKey) (Transport, error) { return nil, nil }, StartupDelay: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if want := t0.Add(5 * time.Second); !r.deps.startupUntil.Equal(want) {
		t.Errorf("startupUntil = %v, want %v", r.deps.startupUntil, want)
	}
}

// timedAnnouncer records when each announcement went.
type timedAnnouncer struct {
	mu sync.Mutex
	at []time.Time
}

func (f *timedAnnouncer) Announce(string, netip.Addr) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.at = append(f.at, time.Now())
	return nil
}

// TestGARPInterval: garp_interval spaces the announcements on an interface.
func TestGARPInterval(t *testing.T) {
	l := newLab(t)
	a := l.host(hostA)
	ann := &timedAnnouncer{}
	a.r.deps.Announcer = ann
	cfg := vi1(255)
	cfg.VIPs = append(cfg.VIPs, VIP{Prefix: netip.MustParsePrefix("10.10.10.23/32")})
	cfg.GARPRepeat, cfg.GARPDelay, cfg.Timing.GARPInterval = 3, -1, 20*time.Millisecond
	a.apply(t, cfg)
	l.settle()
	ann.mu.Lock()
	defer ann.mu.Unlock()
	if len(ann.at) != 6 {
		t.Fatalf("%d announcements, want 6 (3 for each of 2 VIPs)", len(ann.at))
	}
	for k := 1; k < len(ann.at); k++ {
		if gap := ann.at[k].Sub(ann.at[k-1]); gap < 20*time.Millisecond {
			t.Errorf("announcement %d came %v after the one before, want at least garp_interval 20ms", k, gap)
		}
	}
}

func TestTimingValidate(t *testing.T) {
	tests := []struct {
		name string
		t    InstanceTiming
		ok   bool
	}{
		{"another IPv4 group", InstanceTiming{McastGroup: netip.MustParseAddr("224.0.0.19")}, true},
		{"unicast group", InstanceTiming{McastGroup: netip.MustParseAddr("10.0.0.1")}, false},
		{"IPv6 group for IPv4", InstanceTiming{McastGroup: netip.MustParseAddr("ff02::12")}, false},
		{"negative garp_interval", InstanceTiming{GARPInterval: -1}, false},
	}
	for _, tt := range tests {
		cfg := vi1(100)
		cfg.Timing = tt.t
		if err := cfg.Validate(); (err == nil) != tt.ok {
			t.Errorf("%s: Validate = %v, want ok %v", tt.name, err, tt.ok)
		}
	}
}

func TestTransportKeyGroup(t *testing.T) {
	cfg := vi1(100)
	if k := keyOf(cfg); k.Group.IsValid() {
		t.Errorf("default group in the key: %v, want zero (shared with instances that name none)", k.Group)
	}
	cfg.Timing.McastGroup = MulticastIPv4
	if k := keyOf(cfg); k.Group.IsValid() {
		t.Errorf("224.0.0.18 named: key group %v, want zero", k.Group)
	}
	cfg.Timing.McastGroup = netip.MustParseAddr("224.0.0.19")
	cfg.UnicastSrc = hostA
	if k := keyOf(cfg); k.Group != cfg.Timing.McastGroup || k.Src != hostA {
		t.Errorf("key %+v, want group 224.0.0.19 and mcast_src_ip %v", k, hostA)
	}
}
