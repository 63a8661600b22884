package main

import (
	"fmt"

	"github.com/halvs/halvs/config"
)

// configChanges lists what a reload from old to new changes, one line a definition, in the
// config's words: "vrrp_instance VI_2: added", "virtual_server 10.10.10.22:80/TCP: real
// server 10.10.10.33:80 removed". It compares meaning, not layout: moving a block or
// reindenting the file is no change. Definitions are matched by name, as the director
// matches them on reload.
func configChanges(old, new *config.Config) []string {
	if old == nil {
		old = &config.Config{}
	}
	var out []string
	if !config.Equal(old.Global, new.Global) {
		out = append(out, "global: changed")
	}
	diffNamed(&out, "vrrp_script", old.VRRPScripts, new.VRRPScripts, func(s config.VRRPScript) string { return s.Name }, nil)
	diffNamed(&out, "track_file", old.TrackFiles, new.TrackFiles, func(f config.TrackFile) string { return f.Name }, nil)
	diffNamed(&out, "vrrp_instance", old.VRRPInstances, new.VRRPInstances, func(i config.VRRPInstance) string { return i.Name }, instanceChanges)
	diffNamed(&out, "vrrp_sync_group", old.VRRPSyncGroups, new.VRRPSyncGroups, func(g config.VRRPSyncGroup) string { return g.Name }, nil)
	diffNamed(&out, "virtual_server_group", old.VirtualServerGroups, new.VirtualServerGroups, func(g config.VirtualServerGroup) string { return g.Name }, nil)
	diffNamed(&out, "virtual_server", old.VirtualServers, new.VirtualServers, virtualServerKey, virtualServerChanges)
	return out
}

// diffNamed appends "KIND NAME: added", "removed" or, for a definition whose meaning
// changed, what detail says changed ("changed" when it names nothing).
func diffNamed[T any](out *[]string, kind string, old, new []T, name func(T) string, detail func(a, b T) []string) {
	before := make(map[string]T, len(old))
	for _, v := range old {
		before[name(v)] = v
	}
	seen := make(map[string]bool, len(new))
	for _, v := range new {
		n := name(v)
		seen[n] = true
		prev, ok := before[n]
		switch {
		case !ok:
			*out = append(*out, fmt.Sprintf("%s %s: added", kind, n))
		case !config.Equal(prev, v):
			// detail says what changed in the config's terms; nothing means only what does
			// not count changed (a list reordered), so nothing is listed.
			what := []string{"changed"}
			if detail != nil {
				what = detail(prev, v)
			}
			for _, w := range what {
				*out = append(*out, fmt.Sprintf("%s %s: %s", kind, n, w))
			}
		}
	}
	for _, v := range old {
		if n := name(v); !seen[n] {
			*out = append(*out, fmt.Sprintf("%s %s: removed", kind, n))
		}
	}
}

// instanceChanges names the VIPs added and removed, and "settings changed" for anything else.
func instanceChanges(a, b config.VRRPInstance) []string {
	var out []string
	vips := func(in config.VRRPInstance) []config.VIP {
		return append(append([]config.VIP(nil), in.VirtualIPAddresses...), in.VirtualIPAddressesExcl...)
	}
	vipKey := func(v config.VIP) string { return v.Prefix.String() }
	diffNamed(&out, "virtual_ipaddress", vips(a), vips(b), vipKey, nil)
	a.VirtualIPAddresses, a.VirtualIPAddressesExcl = nil, nil
	b.VirtualIPAddresses, b.VirtualIPAddressesExcl = nil, nil
	if !config.Equal(a, b) {
		out = append(out, "settings changed")
	}
	return out
}

// virtualServerKey names a virtual server as status and the metrics do: its address (or
// group, or fwmark) and protocol, since a TCP and a UDP service may share an address.
func virtualServerKey(vs config.VirtualServer) string {
	if vs.FWMark != 0 {
		return vs.Name()
	}
	return vs.Name() + "/" + string(vs.Protocol)
}

// virtualServerChanges names the real servers added, removed and changed, and "settings
// changed" for the virtual server's own settings.
func virtualServerChanges(a, b config.VirtualServer) []string {
	var out []string
	diffNamed(&out, "real server", a.RealServers, b.RealServers, func(rs config.RealServer) string { return rs.Addr.String() }, nil)
	a.RealServers, b.RealServers = nil, nil
	if !config.Equal(a, b) {
		out = append(out, "settings changed")
	}
	return out
}
