package director

import "github.com/halvs/halvs/control"

// tracker is the first instance's tracked object kind/name in st; nil when none tracks it.
func tracker(st *control.Status, kind, name string) *control.Tracker {
	for _, in := range st.Instances {
		for i, tr := range in.Trackers {
			if tr.Kind == kind && tr.Name == name {
				return &in.Trackers[i]
			}
		}
	}
	return nil
}

// trackerState is the state ("up", "down", "unknown", "value") of the object kind/name as
// the first instance tracking it shows it; "" when none tracks it.
func trackerState(st *control.Status, kind, name string) string {
	if tr := tracker(st, kind, name); tr != nil {
		return tr.State
	}
	return ""
}
