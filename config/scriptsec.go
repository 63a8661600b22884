package config

import (
	"os"
	"os/user"

	"github.com/hashicorp/hcl/v2"

	"github.com/halvs/halvs/internal/script"
)

// scriptUse is one configured script: what runs it, as whom, and where it is set.
type scriptUse struct {
	keyword     string
	script      Script
	user, group string // "" for the global script_user
	at          hcl.Range
}

// checkScriptSecurity is global enable_script_security, as keepalived's check_script_secure
// (lib/notify.c) makes it at load: a script that runs as root (or is set-user-ID or
// set-group-ID root) must not be replaceable by anyone else, so its file and every directory
// on its resolved path must be owned by root and not writable by a non-root group or by
// everyone (a directory with the sticky bit, such as /tmp, may be): script.Unsafe. The
// director's runner holds each script to the file checked here (script.Guard), since a
// symbolic link on the configured path may be swapped after the load. keepalived disables such
// a script and carries on; halvs refuses the configuration, since a director that silently
// loses its notify or check scripts behaves differently from the one configured. A script
// that cannot be found here only draws a warning: the check may run on another host.
func checkScriptSecurity(d *decoder, cfg *Config) {
	if !cfg.Global.EnableScriptSecurity {
		return
	}
	for _, u := range scriptUses(cfg) {
		if u.user == "" {
			u.user, u.group = cfg.Global.ScriptUser, cfg.Global.ScriptGroup
		}
		if u.script.IsZero() {
			continue
		}
		prog := u.script.Argv[0]
		path, err := script.Resolve(prog)
		if err != nil {
			d.warnf(u.at, "enable_script_security cannot check %s %q: %v", u.keyword, prog, err)
			continue
		}
		fi, err := os.Stat(path)
		if err != nil {
			d.warnf(u.at, "enable_script_security cannot check %s %q: %v", u.keyword, prog, err)
			continue
		}
		if !runsAsRoot(u.user, u.group) && !script.SetIDRoot(fi) {
			continue
		}
		if bad, why := script.Unsafe(path); bad != "" {
			d.errorf(u.at, "enable_script_security: %s %q runs as root but %s %s; keepalived would disable it. Make it root-owned and not writable by group or others, or run it as another user",
				u.keyword, prog, bad, why)
		}
	}
}

// scriptUses lists every script of the configuration with the user it runs as.
func scriptUses(cfg *Config) []scriptUse {
	var out []scriptUse
	notifies := func(src Source, scripts map[string]Script) {
		for _, kw := range []string{"notify_master", "notify_backup", "notify_fault", "notify_stop", "notify",
			"quorum_up", "quorum_down", "notify_up", "notify_down", "notify_master_rx_lower_pri", "notify_deleted"} {
			if s, ok := scripts[kw]; ok {
				out = append(out, scriptUse{keyword: kw, script: s, at: src.Of(kw)})
			}
		}
	}
	for _, s := range cfg.VRRPScripts {
		out = append(out, scriptUse{keyword: "script", script: s.Script, user: s.User, group: s.Group, at: s.Source.Of("script")})
	}
	for _, vi := range cfg.VRRPInstances {
		notifies(vi.Source, map[string]Script{"notify_master": vi.NotifyMaster, "notify_backup": vi.NotifyBackup,
			"notify_fault": vi.NotifyFault, "notify_stop": vi.NotifyStop, "notify": vi.Notify,
			"notify_master_rx_lower_pri": vi.NotifyEvents.MasterRxLowerPri, "notify_deleted": vi.NotifyEvents.DeletedScript})
	}
	for _, sg := range cfg.VRRPSyncGroups {
		notifies(sg.Source, map[string]Script{"notify_master": sg.NotifyMaster, "notify_backup": sg.NotifyBackup,
			"notify_fault": sg.NotifyFault, "notify_stop": sg.NotifyStop, "notify": sg.Notify})
	}
	for _, vs := range cfg.VirtualServers {
		notifies(vs.Source, map[string]Script{"quorum_up": vs.QuorumUp, "quorum_down": vs.QuorumDown})
		for _, rs := range vs.RealServers {
			notifies(rs.Source, map[string]Script{"notify_up": rs.NotifyUp, "notify_down": rs.NotifyDown})
			for _, c := range rs.Checkers {
				if c.Misc != nil {
					out = append(out, scriptUse{keyword: "misc_path", script: c.Misc.Path, user: c.Misc.User, group: c.Misc.Group, at: c.Source.Of("misc_path")})
				}
			}
		}
	}
	return out
}

// runsAsRoot reports whether a script run as user (and group) has root's user or group ID.
// "" is the user halvs itself runs as. A user or group unknown here is taken as not root:
// there is nothing to compare, and the director's own host decides.
func runsAsRoot(name, group string) bool {
	if name == "" {
		return os.Geteuid() == 0 || os.Getegid() == 0
	}
	u, err := user.Lookup(name)
	if err != nil {
		if u, err = user.LookupId(name); err != nil {
			return name == "root"
		}
	}
	if u.Uid == "0" {
		return true
	}
	if group == "" {
		return u.Gid == "0"
	}
	g, err := user.LookupGroup(group)
	if err != nil {
		if g, err = user.LookupGroupId(group); err != nil {
			return group == "root"
		}
	}
	return g.Gid == "0"
}
