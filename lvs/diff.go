package lvs

import (
	"cmp"
	"net/netip"
	"slices"
)

// Diff returns the smallest list of operations that turns the kernel's services current into
// desired, touching only the services in owned or desired. Services in current that are
// neither desired nor owned belong to someone else and are left alone; owned services that
// are no longer desired are deleted.
//
// The order is safe for traffic: for each desired service (in key order) the service is
// added or updated first, then its new destinations are added and changed ones updated
// before any destination is deleted, so a service never drops to zero destinations while
// one is being swapped for another. Deleted services come last. A service's deletion takes
// its destinations with it, so they get no operations of their own.
//
// desired must be valid (see Validate); current is what Backend.Services returned.
func Diff(current, desired []VirtualServer, owned map[ServiceKey]bool) []Op {
	cur := make(map[ServiceKey]*VirtualServer, len(current))
	for i := range current {
		cur[current[i].Service.Key] = &current[i]
	}
	want := make(map[ServiceKey]bool, len(desired))
	sorted := slices.Clone(desired)
	slices.SortFunc(sorted, func(a, b VirtualServer) int { return compareKeys(a.Service.Key, b.Service.Key) })

	// A service the kernel lacks costs one operation plus one per real server: sized up
	// front, a table from empty (thousands of operations) is one allocation instead of a
	// dozen doublings. Changes to present services are rare and few; they append.
	var ops []Op
	if n := missingOps(cur, desired); n > 0 {
		ops = make([]Op, 0, n)
	}
	for _, d := range sorted {
		want[d.Service.Key] = true
		ops = diffService(ops, cur[d.Service.Key], d)
	}

	var gone []ServiceKey
	for k := range owned {
		if !want[k] && cur[k] != nil {
			gone = append(gone, k)
		}
	}
	slices.SortFunc(gone, compareKeys)
	for _, k := range gone {
		ops = append(ops, Op{Kind: DeleteService, Service: Service{Key: k}})
	}
	return ops
}

// missingOps counts the operations that add the desired services absent from cur.
func missingOps(cur map[ServiceKey]*VirtualServer, desired []VirtualServer) int {
	n := 0
	for i := range desired {
		if cur[desired[i].Service.Key] == nil {
			n += 1 + len(desired[i].Destinations)
		}
	}
	return n
}

// diffService appends the operations that turn got (nil if absent) into want.
func diffService(ops []Op, got *VirtualServer, want VirtualServer) []Op {
	svc := want.Service.normalized()
	key := Service{Key: svc.Key}
	if got == nil {
		ops = append(ops, Op{Kind: AddService, Service: svc})
		for _, d := range want.Destinations {
			ops = append(ops, Op{Kind: AddDestination, Service: key, Dest: d})
		}
		return ops
	}
	if got.Service.normalized() != svc {
		ops = append(ops, Op{Kind: UpdateService, Service: svc})
	}

	// Each side is looked up by address: through maps for long lists, by a linear search
	// (no allocation) for the usual handful of real servers.
	var have map[netip.AddrPort]Destination
	var keep map[netip.AddrPort]bool
	if len(got.Destinations) > smallDests || len(want.Destinations) > smallDests {
		have = make(map[netip.AddrPort]Destination, len(got.Destinations))
		for _, d := range got.Destinations {
			have[d.Addr] = d
		}
		keep = make(map[netip.AddrPort]bool, len(want.Destinations))
		for _, d := range want.Destinations {
			keep[d.Addr] = true
		}
	}
	for _, d := range want.Destinations {
		var h Destination
		ok := false
		if have != nil {
			h, ok = have[d.Addr]
		} else if i := indexDest(got.Destinations, d.Addr); i >= 0 {
			h, ok = got.Destinations[i], true
		}
		switch {
		case !ok:
			ops = append(ops, Op{Kind: AddDestination, Service: key, Dest: d})
		case !d.sameAs(h):
			ops = append(ops, Op{Kind: UpdateDestination, Service: key, Dest: d})
		}
	}
	var stale []Destination
	for _, d := range got.Destinations {
		kept := false
		if keep != nil {
			kept = keep[d.Addr]
		} else {
			kept = indexDest(want.Destinations, d.Addr) >= 0
		}
		if !kept {
			stale = append(stale, d)
		}
	}
	slices.SortFunc(stale, func(a, b Destination) int { return a.Addr.Compare(b.Addr) })
	for _, d := range stale {
		ops = append(ops, Op{Kind: DeleteDestination, Service: key, Dest: Destination{Addr: d.Addr}})
	}
	return ops
}

// compareKeys orders services: address services by family, protocol, address and port,
// then firewall-mark services by family and mark.
func compareKeys(a, b ServiceKey) int {
	isMark := func(k ServiceKey) int {
		if k.FWMark != 0 {
			return 1
		}
		return 0
	}
	return cmp.Or(
		cmp.Compare(isMark(a), isMark(b)),
		cmp.Compare(a.Family, b.Family),
		cmp.Compare(a.FWMark, b.FWMark),
		cmp.Compare(a.Protocol, b.Protocol),
		a.Addr.Compare(b.Addr),
	)
}
