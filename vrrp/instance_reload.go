package vrrp

// reload applies cfg, of the same identity (sameIdentity), in the loop, with no state
// change and no priority-0 advert: the adverts carry the new settings from the next one, the
// VIPs that went are removed and the new ones added and announced (when MASTER), and the
// instance joins group (nil: none) if a reload moved it. Links that cfg tracks and the old
// configuration did not start being watched, and those it no longer tracks stop.
func (i *Instance) reload(cfg InstanceConfig, group *SyncGroup) {
	defer i.watchLinks(cfg) // after the new Track is queued, so the first report counts
	i.box.put(input{at: i.deps.Clock.Now(), fn: func() {
		old := i.cfg
		i.cfg = cfg
		i.filter = cfg.filter()
		i.notif.setConfig(cfg.Notify)
		vips, excluded := cfg.VIPs, cfg.ExcludedVIPs
		i.kernel.do(func() { i.owner.setOwned(vips, excluded) })
		routes, rules := cfg.VirtualRoutes, cfg.VirtualRules
		i.kernel.do(func() { i.owner.setRoutes(routes, rules) })
		i.mu.Lock()
		i.status.BasePriority = cfg.Priority
		i.garpLocked = cfg.garpSettings()
		i.mu.Unlock()
		i.setGroup(group)
		i.applyTracks()
		if changed := changedFields(old, cfg); len(changed) > 0 {
			i.log.Info("reloaded in place", "changed", changed, "state", i.m.State())
		}
	}})
}

// setGroup moves the instance into group (nil: out of any), in the loop.
func (i *Instance) setGroup(group *SyncGroup) {
	old := i.group
	i.group = group
	i.m.Reconfigure(i.cfg.machine(i.tx.Load().t.LocalAddr(), group != nil))
	if old == group {
		return
	}
	if old != nil && (group == nil || old.faultSource() != group.faultSource()) {
		i.handle(FaultCleared{Source: old.faultSource()})
	}
	if group != nil {
		own := i.ownFault()
		i.reportedOwn = own
		group.join(i, i.m.State(), own)
	}
}
