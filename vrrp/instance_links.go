package vrrp

import "slices"

// watchLinks makes the watched links those cfg needs, its interface and its
// track_interfaces: new ones are watched (their state arrives through the mailbox), ones
// no longer named stop being watched. A reload may add or remove track_interfaces in place
// (Track is tunable), so it calls this too.
func (i *Instance) watchLinks(cfg InstanceConfig) {
	if i.deps.Links == nil {
		return
	}
	devs := []string{cfg.Interface}
	for _, t := range cfg.Track {
		if t.Kind == TrackInterface && !slices.Contains(devs, t.Name) {
			devs = append(devs, t.Name)
		}
	}
	i.watchMu.Lock()
	defer i.watchMu.Unlock()
	if i.unwatch {
		return
	}
	if i.watched == nil {
		i.watched = map[string]chan struct{}{}
	}
	for dev, stop := range i.watched {
		if !slices.Contains(devs, dev) {
			close(stop)
			delete(i.watched, dev)
		}
	}
	for _, dev := range devs {
		if _, ok := i.watched[dev]; ok {
			continue
		}
		stop := make(chan struct{})
		i.watched[dev] = stop
		i.watchLink(dev, dev == cfg.Interface, stop)
	}
}

// watchLink watches one device until stop closes. The instance's own interface also
// drives LinkChanged (down is a fault, unless dont_track_primary); every watched device
// feeds its track_interface.
func (i *Instance) watchLink(dev string, own bool, stop chan struct{}) {
	report := func(up bool) {
		now := i.deps.Clock.Now()
		if own {
			// Decided in the loop, which owns cfg: a reload may change dont_track_primary.
			// Up is always reported: it clears the fault of a link that went down before
			// dont_track_primary was set, or of the interface also being a weight-0
			// track_interface (whose fault only LinkChanged clears).
			i.box.put(input{at: now, fn: func() {
				if up || !i.cfg.DontTrackPrimary {
					i.handle(LinkChanged{Dev: dev, Up: up})
				}
			}})
		}
		i.box.put(input{at: now, fn: func() { i.setTracked(TrackInterface, dev, up) }})
	}
	if err := i.deps.Links.Watch(dev, report, stop); err != nil {
		i.log.Error("cannot watch link; treating it as down", "dev", dev, "err", err)
		report(false)
	}
}

// stopWatching stops every link watcher, for good.
func (i *Instance) stopWatching() {
	i.watchMu.Lock()
	defer i.watchMu.Unlock()
	i.unwatch = true
	for dev, stop := range i.watched {
		close(stop)
		delete(i.watched, dev)
	}
}
