package vrrp

import (
	"net/netip"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// fieldChanges changes one field of an InstanceConfig each, keeping it valid. It must name
// every field: TestReloadFieldsPlaced fails on a field it lacks.
var fieldChanges = map[string]func(*InstanceConfig){
	"Name":              func(c *InstanceConfig) { c.Name = "VI_9" },
	"Interface":         func(c *InstanceConfig) { c.Interface = "eth9" },
	"VRID":              func(c *InstanceConfig) { c.VRID = 99 },
	"Version":           func(c *InstanceConfig) { c.Version, c.AuthType, c.AuthPass = 3, AuthNone, "" },
	"Priority":          func(c *InstanceConfig) { c.Priority = 120 },
	"Interval":          func(c *InstanceConfig) { c.Interval = 2 * time.Second },
	"InitialMaster":     func(c *InstanceConfig) { c.InitialMaster = true },
	"NoPreempt":         func(c *InstanceConfig) { c.NoPreempt = true },
	"PreemptDelay":      func(c *InstanceConfig) { c.PreemptDelay = time.Second },
	"AuthType":          func(c *InstanceConfig) { c.Version, c.AuthType, c.AuthPass = 2, AuthPass, "" },
	"AuthPass":          func(c *InstanceConfig) { c.AuthPass = "other" },
	"VIPs":              func(c *InstanceConfig) { c.VIPs = append(c.VIPs, VIP{Prefix: netip.MustParsePrefix("10.10.10.23/32")}) },
	"ExcludedVIPs":      func(c *InstanceConfig) { c.ExcludedVIPs = []VIP{{Prefix: netip.MustParsePrefix("10.9.9.9/32")}} },
	"VirtualRoutes":     func(c *InstanceConfig) { c.VirtualRoutes = []Route{route1} },
	"VirtualRules":      func(c *InstanceConfig) { c.VirtualRules = []Rule{rule1} },
	"UnicastSrc":        func(c *InstanceConfig) { c.UnicastSrc = netip.MustParseAddr("10.10.10.40") },
	"UnicastPeers":      func(c *InstanceConfig) { c.UnicastPeers = append(c.UnicastPeers, netip.MustParseAddr("10.10.10.41")) },
	"UnicastTTL":        func(c *InstanceConfig) { c.UnicastTTL = 64 },
	"UnicastPeerTTL":    func(c *InstanceConfig) { c.UnicastPeerTTL = map[netip.Addr]TTLRange{hostB: {Min: 250, Max: 255}} },
	"DontTrackPrimary":  func(c *InstanceConfig) { c.DontTrackPrimary = true },
	"SkipTTLCheck":      func(c *InstanceConfig) { c.SkipTTLCheck = !c.SkipTTLCheck },
	"V3ChecksumAsV2":    func(c *InstanceConfig) { c.V3ChecksumAsV2 = true },
	"GARPRepeat":        func(c *InstanceConfig) { c.GARPRepeat = 2 },
	"GARPDelay":         func(c *InstanceConfig) { c.GARPDelay = time.Second },
	"GARPRefresh":       func(c *InstanceConfig) { c.GARPRefresh = time.Minute },
	"GARPRefreshRepeat": func(c *InstanceConfig) { c.GARPRefreshRepeat = 3 },
	"Track":             func(c *InstanceConfig) { c.Track = []Track{{Kind: TrackScript, Name: "chk", Weight: -10}} },
	"Notify":            func(c *InstanceConfig) { c.Notify.Backup = []string{"/bin/to-backup"} },
	"Timing":            func(c *InstanceConfig) { c.Timing.LowerPrioNoAdvert = true },
}

// TestReloadFieldsPlaced: every field of InstanceConfig either restarts the instance or is
// applied in place, never both or neither; a field added without deciding fails here.
// Changing an identity field restarts; changing a tunable one is planned in place and
// reported as changed.
func TestReloadFieldsPlaced(t *testing.T) {
	typ := reflect.TypeFor[InstanceConfig]()
	for f := range typ.Fields() {
		id, tun := slices.Contains(identityFields, f.Name), slices.Contains(tunableFields, f.Name)
		if id == tun {
			t.Errorf("InstanceConfig.%s: identity %v, tunable %v; put it in exactly one list (reload_plan.go)", f.Name, id, tun)
		}
		if fieldChanges[f.Name] == nil {
			t.Errorf("InstanceConfig.%s has no entry in fieldChanges", f.Name)
		}
	}
	for name, change := range fieldChanges {
		t.Run(name, func(t *testing.T) {
			base := vi1(150)
			base.UnicastPeers = []netip.Addr{hostB}
			base.Version, base.AuthType, base.AuthPass = 2, AuthPass, "secret"
			if name == "AuthType" {
				base.AuthType, base.AuthPass = AuthNone, ""
			}
			next := base
			change(&next)
			if err := next.Validate(); err != nil {
				t.Fatalf("the change makes an invalid config: %v", err)
			}
			base, next = base.withDefaults(), next.withDefaults()
			p := planReload(map[string]InstanceConfig{base.Name: base}, nil, []InstanceConfig{next}, nil)
			switch {
			case slices.Contains(identityFields, name):
				if !slices.Contains(p.Restart, next.Name) && !slices.Contains(p.Start, next.Name) {
					t.Errorf("plan %v: an identity change must restart", p)
				}
			default:
				if !slices.Equal(p.InPlace, []string{next.Name}) {
					t.Errorf("plan %v: a tunable change must apply in place", p)
				}
				if got := changedFields(base, next); !slices.Equal(got, []string{name}) {
					t.Errorf("changedFields = %v, want [%s]", got, name)
				}
			}
		})
	}
}

func TestChangedFieldsIgnoresOrder(t *testing.T) {
	a := vi1(150)
	a.VIPs = append(a.VIPs, VIP{Prefix: netip.MustParsePrefix("10.10.10.23/32")})
	a.UnicastPeers = []netip.Addr{hostA, hostB}
	b := a
	b.VIPs = []VIP{a.VIPs[1], a.VIPs[0]}
	b.UnicastPeers = []netip.Addr{hostB, hostA}
	if got := changedFields(a, b); len(got) != 0 {
		t.Errorf("reordering changed %v, want nothing", got)
	}
}

func TestPlanReload(t *testing.T) {
	inst := func(name string, vrid uint8, mod ...func(*InstanceConfig)) InstanceConfig {
		c := vi1(150)
		c.Name, c.VRID = name, vrid
		for _, m := range mod {
			m(&c)
		}
		return c.withDefaults()
	}
	unicast := func(c *InstanceConfig) { c.UnicastPeers = []netip.Addr{hostB} }
	withSrc := func(c *InstanceConfig) { c.UnicastSrc = hostA }
	moreVIPs := func(c *InstanceConfig) {
		c.VIPs = append(c.VIPs, VIP{Prefix: netip.MustParsePrefix("10.10.10.29/32")})
	}
	running := map[string]InstanceConfig{
		"VI_1": inst("VI_1", 1), "VI_2": inst("VI_2", 2), "VI_3": inst("VI_3", 3, unicast),
	}
	tests := []struct {
		name          string
		runningGroups map[string][]string
		want          []InstanceConfig
		groups        []SyncGroupConfig
		plan          reloadPlan
	}{
		{
			name: "unchanged: everything in place",
			want: []InstanceConfig{inst("VI_1", 1), inst("VI_2", 2), inst("VI_3", 3, unicast)},
			plan: reloadPlan{InPlace: []string{"VI_1", "VI_2", "VI_3"}},
		},
		{
			name: "VIPs, mode and source change in place; VRID restarts; gone stops; new starts",
			want: []InstanceConfig{inst("VI_1", 1, moreVIPs, unicast), inst("VI_2", 22), inst("VI_3", 3, unicast, withSrc), inst("VI_4", 4)},
			plan: reloadPlan{Start: []string{"VI_4"}, Restart: []string{"VI_2"}, InPlace: []string{"VI_1", "VI_3"},
				Move: []string{"VI_1", "VI_3"}},
		},
		{
			name: "an instance gone",
			want: []InstanceConfig{inst("VI_1", 1), inst("VI_3", 3, unicast)},
			plan: reloadPlan{Stop: []string{"VI_2"}, InPlace: []string{"VI_1", "VI_3"}},
		},
		{
			name:          "groups: same members kept, new members rebuilt, a new group built, a gone group dropped",
			runningGroups: map[string][]string{"G1": {"VI_1"}, "G2": {"VI_2"}, "G3": {"VI_3"}},
			want:          []InstanceConfig{inst("VI_1", 1), inst("VI_2", 2), inst("VI_3", 3, unicast)},
			groups: []SyncGroupConfig{
				{Name: "G1", Members: []string{"VI_1"}},
				{Name: "G2", Members: []string{"VI_2", "VI_3"}},
			},
			plan: reloadPlan{InPlace: []string{"VI_1", "VI_2", "VI_3"}, Keep: []string{"G1"}, Rebuild: []string{"G2"}, Drop: []string{"G3"}},
		},
		{
			name:          "a group whose member restarts is rebuilt; its other members stay",
			runningGroups: map[string][]string{"G1": {"VI_1", "VI_2"}},
			want:          []InstanceConfig{inst("VI_1", 1), inst("VI_2", 12)},
			groups:        []SyncGroupConfig{{Name: "G1", Members: []string{"VI_2", "VI_1"}}},
			plan:          reloadPlan{Stop: []string{"VI_3"}, Restart: []string{"VI_2"}, InPlace: []string{"VI_1"}, Rebuild: []string{"G1"}},
		},
		{
			name:   "a first group",
			want:   []InstanceConfig{inst("VI_1", 1), inst("VI_2", 2), inst("VI_3", 3, unicast)},
			groups: []SyncGroupConfig{{Name: "G1", Members: []string{"VI_1", "VI_2"}}},
			plan:   reloadPlan{InPlace: []string{"VI_1", "VI_2", "VI_3"}, Rebuild: []string{"G1"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := planReload(running, tt.runningGroups, tt.want, tt.groups)
			if diff := cmp.Diff(tt.plan, got); diff != "" {
				t.Errorf("plan (-want +got):\n%s", diff)
			}
		})
	}
}
