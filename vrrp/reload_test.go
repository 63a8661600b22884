package vrrp

import (
	"net/netip"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

var vip2Pfx = netip.MustParsePrefix("10.10.10.23/32")

// noFlap checks that a reload moved nothing: A is still the instance it was, MASTER since
// its one takeover, B never became MASTER, and nobody sent or saw a priority-0 advert.
func noFlap(t *testing.T, a, b *host, inst *Instance) {
	t.Helper()
	if got := a.r.Instance("VI_1"); got != inst {
		t.Fatal("the reload restarted the instance")
	}
	ca, cb := inst.Counters(), b.r.Instance("VI_1").Counters()
	if state(a) != StateMaster || ca.Transitions[StateMaster] != 1 {
		t.Errorf("A is %v after %d takeovers, want MASTER after 1", state(a), ca.Transitions[StateMaster])
	}
	if cb.Transitions[StateMaster] != 0 {
		t.Errorf("B became MASTER %d times, want never", cb.Transitions[StateMaster])
	}
	if ca.PriorityZeroSent != 0 || cb.PriorityZeroRcvd != 0 {
		t.Errorf("priority-0 adverts: A sent %d, B received %d; want none", ca.PriorityZeroSent, cb.PriorityZeroRcvd)
	}
}

func addrOps(h *host) []string { return h.addr.Ops() }

func clearOps(h *host) { h.addr.TakeOps() }

// TestReloadInPlace: each routine change, applied to the MASTER (and where both must agree,
// to both), keeps every instance in its state: the VIPs change one by one, the adverts
// carry the new settings.
func TestReloadInPlace(t *testing.T) {
	tests := []struct {
		name    string
		base    func(*InstanceConfig)          // both directors' starting config
		change  func(*InstanceConfig)          // applied to A
		changeB func(*InstanceConfig)          // applied to B too, when set
		ops     []string                       // A's address changes
		check   func(t *testing.T, a, b *host) // after the reload and 5 s
	}{
		{
			name:   "add a VIP",
			change: func(c *InstanceConfig) { c.VIPs = append(c.VIPs, VIP{Prefix: vip2Pfx}) },
			ops:    []string{"add " + vip2Pfx.String()},
			check: func(t *testing.T, a, b *host) {
				if n := a.ann.Count(vip2Pfx.Addr()); n != DefaultGARPRepeat {
					t.Errorf("the new VIP was announced %d times, want %d", n, DefaultGARPRepeat)
				}
				if n := a.ann.Count(vipPfx.Addr()); n != DefaultGARPRepeat*2 {
					t.Errorf("the kept VIP was announced %d times, want %d (the takeover's two bursts only)", n, DefaultGARPRepeat*2)
				}
				// B, not reloaded, sees A's adverts carry two addresses: noted, not dropped.
				if c := b.r.Instance("VI_1").Counters(); c.Drops[NoteVIPMismatch] == 0 {
					t.Error("A's adverts do not carry the new VIP")
				}
			},
		},
		{
			name:   "remove a VIP",
			base:   func(c *InstanceConfig) { c.VIPs = append(c.VIPs, VIP{Prefix: vip2Pfx}) },
			change: func(c *InstanceConfig) { c.VIPs = c.VIPs[:1] },
			ops:    []string{"del " + vip2Pfx.String()},
			check: func(t *testing.T, a, b *host) {
				if !a.addr.Has(vipPfx) || a.addr.Has(vip2Pfx) {
					t.Errorf("A holds %v, want %v only", a.addr.Held(), vipPfx)
				}
			},
		},
		{
			name:   "reorder the VIPs",
			base:   func(c *InstanceConfig) { c.VIPs = append(c.VIPs, VIP{Prefix: vip2Pfx}) },
			change: func(c *InstanceConfig) { c.VIPs = []VIP{c.VIPs[1], c.VIPs[0]} },
		},
		{
			name:   "advert_int 1 s to 100 ms: the backup adopts it",
			change: func(c *InstanceConfig) { c.Interval = 100 * time.Millisecond },
			check: func(t *testing.T, a, b *host) {
				if got := b.r.Instance("VI_1").Status().MasterInterval; got != 100*time.Millisecond {
					t.Errorf("B's master interval %v, want 100ms", got)
				}
			},
		},
		{
			name:   "priority within the margin",
			change: func(c *InstanceConfig) { c.Priority = 120 },
			check: func(t *testing.T, a, b *host) {
				if p := a.r.Instance("VI_1").Status().Priority; p != 120 {
					t.Errorf("A's priority %d, want 120", p)
				}
			},
		},
		{
			name:    "PASS password on both",
			base:    func(c *InstanceConfig) { c.Version, c.AuthType, c.AuthPass = 2, AuthPass, "old" },
			change:  func(c *InstanceConfig) { c.AuthPass = "new" },
			changeB: func(c *InstanceConfig) { c.AuthPass = "new" },
			check: func(t *testing.T, a, b *host) {
				if c := b.r.Instance("VI_1").Counters(); c.Drops[DropAuthPass] != 0 {
					t.Errorf("B dropped %d adverts for authentication", c.Drops[DropAuthPass])
				}
			},
		},
		{
			name:    "multicast to unicast on both: a new transport",
			change:  func(c *InstanceConfig) { c.UnicastPeers = []netip.Addr{hostB} },
			changeB: func(c *InstanceConfig) { c.UnicastPeers = []netip.Addr{hostA} },
		},
		{
			name: "add and remove a unicast peer",
			base: func(c *InstanceConfig) {
				c.UnicastPeers = []netip.Addr{hostA, hostB}
			},
			change: func(c *InstanceConfig) { c.UnicastPeers = append(c.UnicastPeers, netip.MustParseAddr("10.10.10.99")) },
		},
		{
			name:   "add a tracker",
			change: func(c *InstanceConfig) { c.Track = []Track{{Kind: TrackScript, Name: "chk", Weight: -10}} },
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfgA, cfgB := vi1(150), vi1(100)
			if tt.base != nil {
				tt.base(&cfgA)
				tt.base(&cfgB)
			}
			l, a, b := pair(t, cfgA, cfgB)
			l.advance(6 * time.Second) // past the takeover's second GARP burst
			inst := a.r.Instance("VI_1")
			clearOps(a)
			tt.change(&cfgA)
			a.apply(t, cfgA)
			if tt.changeB != nil {
				tt.changeB(&cfgB)
				b.apply(t, cfgB)
			}
			l.advance(5 * time.Second)
			noFlap(t, a, b, inst)
			if diff := cmp.Diff(tt.ops, addrOps(a)); diff != "" {
				t.Errorf("A's address changes (-want +got):\n%s", diff)
			}
			if tt.check != nil {
				tt.check(t, a, b)
			}
			if got := addrOps(b); len(got) != 0 {
				t.Errorf("B changed addresses as BACKUP: %v", got)
			}
		})
	}
}

// TestReloadBackupRecordsVIPs: a BACKUP told of a new VIP adds nothing, and claims it with
// the others when it takes over.
func TestReloadBackupRecordsVIPs(t *testing.T) {
	l, a, b := pair(t, vi1(150), vi1(100))
	cfgB := vi1(100)
	cfgB.VIPs = append(cfgB.VIPs, VIP{Prefix: vip2Pfx})
	b.apply(t, cfgB)
	l.advance(3 * time.Second)
	if got := addrOps(b); len(got) != 0 {
		t.Fatalf("B changed addresses as BACKUP: %v", got)
	}
	a.r.Shutdown()
	l.advance(5 * time.Second)
	if state(b) != StateMaster || !b.addr.Has(vipPfx) || !b.addr.Has(vip2Pfx) {
		t.Errorf("B is %v holding %v, want MASTER with both VIPs", state(b), b.addr.Held())
	}
}

// TestReloadGroupsInPlace: sync groups formed, changed and dissolved by reloads keep their
// members running in their states.
func TestReloadGroupsInPlace(t *testing.T) {
	l := newLab(t)
	a := l.host(hostA)
	vi2 := vi1(150)
	vi2.Name, vi2.VRID, vi2.Interface = "VI_2", 52, "eth1"
	vi2.VIPs = []VIP{{Prefix: netip.MustParsePrefix("10.10.20.22/32")}}
	cfgs := []InstanceConfig{vi1(150), vi2}
	if err := a.r.Apply(cfgs, nil); err != nil {
		t.Fatal(err)
	}
	l.advance(5 * time.Second)
	i1, i2 := a.r.Instance("VI_1"), a.r.Instance("VI_2")
	steps := []struct {
		name   string
		groups []SyncGroupConfig
	}{
		{"group formed", []SyncGroupConfig{{Name: "VG_1", Members: []string{"VI_1", "VI_2"}}}},
		{"member leaves", []SyncGroupConfig{{Name: "VG_1", Members: []string{"VI_1"}}}},
		{"member comes back", []SyncGroupConfig{{Name: "VG_1", Members: []string{"VI_2", "VI_1"}}}},
		{"group dissolved", nil},
	}
	for _, s := range steps {
		if err := a.r.Apply(cfgs, s.groups); err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		l.advance(5 * time.Second)
		if a.r.Instance("VI_1") != i1 || a.r.Instance("VI_2") != i2 {
			t.Fatalf("%s: an instance was restarted", s.name)
		}
		for _, i := range []*Instance{i1, i2} {
			if st, c := i.Status().State, i.Counters(); st != StateMaster || c.Transitions[StateMaster] != 1 {
				t.Errorf("%s: %s is %v after %d takeovers, want MASTER after 1", s.name, i.Name(), st, c.Transitions[StateMaster])
			}
		}
		if len(s.groups) > 0 {
			if g := a.r.SyncGroup("VG_1"); g == nil || g.State() != StateMaster {
				t.Errorf("%s: group %v, want MASTER", s.name, g)
			}
		}
	}
	// The group still works after the reloads: a fault of one member pulls the other.
	if err := a.r.Apply(cfgs, []SyncGroupConfig{{Name: "VG_1", Members: []string{"VI_1", "VI_2"}}}); err != nil {
		t.Fatal(err)
	}
	l.advance(time.Second)
	a.links.Set("eth1", false)
	l.advance(time.Second)
	if s1, s2 := i1.Status().State, i2.Status().State; s1 != StateFault || s2 != StateFault {
		t.Errorf("eth1 down: VI_1=%v VI_2=%v, want both FAULT", s1, s2)
	}
}
