package vrrp

import (
	"fmt"
	"reflect"
	"slices"
)

// What a reload does to a running instance is decided by which fields of its InstanceConfig
// changed. keepalived restarts a router only when what identifies it on the wire changes;
// everything else is applied to the running instance with no state change. Every field of
// InstanceConfig is in exactly one of these lists (TestReloadFieldsPlaced fails otherwise),
// so a field added later cannot silently land on the wrong side.
var (
	// identityFields restart the instance: it becomes another VRRP router. The address
	// family, the fourth part of the identity, is that of VIPs[0] (see sameIdentity).
	identityFields = []string{"Name", "Interface", "VRID", "Version"}
	// tunableFields are applied in place by Instance.reload.
	tunableFields = []string{
		"Priority", "Interval", "InitialMaster", "NoPreempt", "PreemptDelay",
		"AuthType", "AuthPass", "VIPs", "ExcludedVIPs", "VirtualRoutes", "VirtualRules", "UnicastSrc", "UnicastPeers",
		"UnicastTTL", "UnicastPeerTTL", "DontTrackPrimary", "SkipTTLCheck", "V3ChecksumAsV2",
		"GARPRepeat", "GARPDelay", "GARPRefresh", "GARPRefreshRepeat",
		"Track", "Notify", "Timing",
	}
)

// sameIdentity reports whether a and b are the same VRRP router: the same name, interface,
// VRID, version and address family. Only then can a reload keep the running instance.
func sameIdentity(a, b InstanceConfig) bool {
	return a.Name == b.Name && a.Interface == b.Interface && a.VRID == b.VRID &&
		a.Version == b.Version && a.IPv6() == b.IPv6()
}

// changedFields names the tunable fields that differ between a and b. Address lists are
// compared as sets: reordering virtual_ipaddress or the unicast peers changes nothing that
// matters, so it is not a change.
func changedFields(a, b InstanceConfig) []string {
	va, vb := reflect.ValueOf(a), reflect.ValueOf(b)
	var out []string
	for _, f := range tunableFields {
		x, y := va.FieldByName(f).Interface(), vb.FieldByName(f).Interface()
		var same bool
		switch x := x.(type) {
		case []VIP:
			same = sameSet(x, y.([]VIP))
		case []Route:
			same = sameSet(routeKeys(x), routeKeys(y.([]Route)))
		case []Rule:
			same = sameSet(ruleKeys(x), ruleKeys(y.([]Rule)))
		default:
			same = reflect.DeepEqual(x, y)
		}
		if f == "UnicastPeers" {
			same = sameSet(a.UnicastPeers, b.UnicastPeers)
		}
		if !same {
			out = append(out, f)
		}
	}
	return out
}

// sameSet reports whether a and b hold the same elements, in any order.
func sameSet[T comparable](a, b []T) bool {
	if len(a) != len(b) {
		return false
	}
	for _, x := range a {
		if !slices.Contains(b, x) {
			return false
		}
	}
	for _, x := range b {
		if !slices.Contains(a, x) {
			return false
		}
	}
	return true
}

// reloadPlan is what Router.Apply does, decided before anything changes.
type reloadPlan struct {
	Start   []string // new instances
	Stop    []string // instances no longer configured
	Restart []string // the identity changed: stopped, then started afresh
	InPlace []string // kept: the new settings are applied with no state change
	// Move are the InPlace instances whose Transport changes (unicast mode or source).
	Move []string
	// Rebuild are the sync groups made anew: new ones and those whose members changed or
	// include a started or restarted instance. Their kept members join in place.
	Rebuild []string
	Keep    []string // sync groups with the same members: notify settings applied in place
	Drop    []string // sync groups no longer configured
}

// String is the plan in one line, for the reload's log.
func (p reloadPlan) String() string {
	return fmt.Sprintf("start %v, stop %v, restart %v, in place %v, new transport %v, rebuilt groups %v, dropped groups %v",
		p.Start, p.Stop, p.Restart, p.InPlace, p.Move, p.Rebuild, p.Drop)
}

// planReload decides what a reload from the running instances (and their sync groups) to
// want (defaulted) and groups does. It is pure: Router.apply carries it out.
func planReload(running map[string]InstanceConfig, runningGroups map[string][]string,
	want []InstanceConfig, groups []SyncGroupConfig) reloadPlan {
	var p reloadPlan
	wanted := map[string]bool{}
	for _, c := range want {
		wanted[c.Name] = true
		old, ok := running[c.Name]
		switch {
		case !ok:
			p.Start = append(p.Start, c.Name)
		case !sameIdentity(old, c):
			p.Restart = append(p.Restart, c.Name)
		default:
			p.InPlace = append(p.InPlace, c.Name)
			if keyOf(old) != keyOf(c) {
				p.Move = append(p.Move, c.Name)
			}
		}
	}
	for name := range running {
		if !wanted[name] {
			p.Stop = append(p.Stop, name)
		}
	}
	fresh := append(slices.Clone(p.Start), p.Restart...)
	for _, g := range groups {
		members, ok := runningGroups[g.Name]
		if !ok || !sameSet(members, g.Members) || slices.ContainsFunc(g.Members, func(m string) bool {
			return slices.Contains(fresh, m)
		}) {
			p.Rebuild = append(p.Rebuild, g.Name)
		} else {
			p.Keep = append(p.Keep, g.Name)
		}
	}
	for name := range runningGroups {
		if !slices.ContainsFunc(groups, func(g SyncGroupConfig) bool { return g.Name == name }) {
			p.Drop = append(p.Drop, name)
		}
	}
	for _, l := range []*[]string{&p.Start, &p.Stop, &p.Restart, &p.InPlace, &p.Move, &p.Rebuild, &p.Keep, &p.Drop} {
		slices.Sort(*l)
	}
	return p
}
