package director

import (
	"sync"

	"github.com/halvs/halvs/control"

	"github.com/halvs/halvs/vrrp"
)

// linkStates is the LinkWatcher the instances get: it passes every watch on to the real
// watcher and remembers each device's last reported state, for status. The instances keep
// their trackers' states to themselves.
type linkStates struct {
	vrrp.LinkWatcher

	mu sync.Mutex
	up map[string]bool // absent: never reported
}

func newLinkStates(w vrrp.LinkWatcher) *linkStates {
	return &linkStates{LinkWatcher: w, up: map[string]bool{}}
}

// Watch implements vrrp.LinkWatcher. A device that cannot be watched is down, as the
// instance takes it.
func (l *linkStates) Watch(dev string, fn func(up bool), stop <-chan struct{}) error {
	err := l.LinkWatcher.Watch(dev, func(up bool) {
		l.set(dev, up)
		fn(up)
	}, stop)
	if err != nil {
		l.set(dev, false)
	}
	return err
}

func (l *linkStates) set(dev string, up bool) {
	l.mu.Lock()
	l.up[dev] = up
	l.mu.Unlock()
}

func (l *linkStates) state(dev string) (up, known bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	up, known = l.up[dev]
	return up, known
}

// trackers is the status of ic's tracked objects, in its config order, each with the
// object's own state (before `reverse`): "up", "down" or "unknown" (no result yet); a
// track_file has a value instead, and the state "value" once it has one.
func (d *Director) trackers(ic vrrp.InstanceConfig) []control.Tracker {
	if len(ic.Track) == 0 {
		return nil
	}
	out := make([]control.Tracker, 0, len(ic.Track))
	d.track.mu.Lock()
	defer d.track.mu.Unlock()
	for _, t := range ic.Track {
		ref := trackRef{t.Kind, t.Name}
		ts := control.Tracker{Kind: t.Kind.String(), Name: t.Name, Weight: t.Weight,
			Reverse: t.Reverse || d.track.reverse[ic.Name][ref], State: "unknown"}
		var up, known bool
		switch t.Kind {
		case vrrp.TrackInterface:
			if d.links != nil {
				up, known = d.links.state(t.Name)
			}
		case vrrp.TrackFile:
			if v, ok := d.track.values[ref]; ok {
				ts.State, ts.Value = "value", &v
			}
		default:
			up, known = d.track.known[ref]
		}
		if known {
			ts.State = map[bool]string{true: "up", false: "down"}[up]
		}
		out = append(out, ts)
	}
	return out
}
