package vrrp

// The effects of the trackers whose rules differ from the up/down one of scripts and
// interfaces: keepalived's track_file (vrrp_track.c, track_file.c) and vrrp_track_process.

// fileFault is keepalived's floor for a track_file's contribution: a value times weight at
// or below it puts the instance in FAULT instead of lowering its priority.
const fileFault = -254

// fileEffect is what a track_file holding v does to an instance tracking it with weight w:
// with weight 0, a non-zero value is a fault (reverse: a zero value is); otherwise v × w
// (negated by reverse), limited to [-254, 253], is added to the priority, and -254 is a
// fault.
func fileEffect(v, w int, reverse bool) (delta int, fault bool) {
	if w == 0 {
		return 0, (v != 0) != reverse
	}
	mult := int64(1)
	if reverse {
		mult = -1
	}
	st := min(max(int64(v)*int64(w)*mult, fileFault), 253)
	if st == fileFault {
		return 0, true
	}
	return int(st), false
}

// processEffect is what a vrrp_track_process does to an instance tracking it with weight w,
// up being whether the process quorum is met. With weight 0 a lost quorum is a fault
// (reverse: a met one is). Otherwise keepalived adds w × multiplier (−1 with reverse) while
// the quorum is met for a positive weight, and while it is lost for a negative one.
func processEffect(up bool, w int, reverse bool) (delta int, fault bool) {
	if w == 0 {
		return 0, up == reverse
	}
	mult := 1
	if reverse {
		mult = -1
	}
	if (w > 0) == up {
		return w * mult, false
	}
	return 0, false
}

// SetTrackedValue reports the number a tracked file holds (TrackFile). Objects the instance
// does not track are ignored. Safe for concurrent use; it never blocks.
func (i *Instance) SetTrackedValue(kind TrackKind, name string, v int) {
	i.box.put(input{at: i.deps.Clock.Now(), fn: func() {
		if i.tracks.setValue(kind, name, v) {
			i.applyTracks()
		}
	}})
}
