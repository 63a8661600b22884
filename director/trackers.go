package director

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"reflect"
	"slices"
	"time"

	"github.com/halvs/halvs/config"
	"github.com/halvs/halvs/track"
	"github.com/halvs/halvs/vrrp"
)

// The track_file and vrrp_track_process trackers: what the plan watches, and the watchers
// that feed the instances.

// FilePlan is one track_file the instances track.
type FilePlan struct {
	track.FileSpec
	Init *config.TrackFileInit // init_file; nil: the file is left alone
}

// processScanInterval is how often /proc is read where the process events connector is
// unavailable (outside the initial network namespace, say).
const processScanInterval = time.Second

// addGroupTrackers adds each sync group's trackers to every member, as keepalived's
// sync_group_tracking_init does, with the group's weights. A member already tracking the
// object keeps its own entry, except a track_file, where the group's weight applies unless
// the member's weight is 0 (keepalived's add_obj_to_track_file). With a member that is the
// address owner (priority 255), the group's weights are 0.
func addGroupTrackers(cfg *config.Config, p *VRRPPlan) {
	for _, g := range cfg.VRRPSyncGroups {
		owner := slices.ContainsFunc(g.Group, func(name string) bool {
			vi := cfg.Instance(name)
			return vi != nil && vi.Priority == 255
		})
		weight := func(w int) int {
			if owner {
				return 0
			}
			return w
		}
		var add []vrrp.Track
		rev := map[trackRef]bool{}
		for _, t := range g.TrackInterfaces {
			add = append(add, vrrp.Track{Kind: vrrp.TrackInterface, Name: t.Name, Weight: weight(t.Weight)})
		}
		for _, t := range g.TrackScripts {
			add = append(add, vrrp.Track{Kind: vrrp.TrackScript, Name: t.Name, Weight: weight(t.Weight)})
			if t.Reverse {
				rev[trackRef{vrrp.TrackScript, t.Name}] = true
			}
		}
		for _, t := range g.TrackFiles {
			add = append(add, vrrp.Track{Kind: vrrp.TrackFile, Name: t.Name, Weight: weight(t.Weight), Reverse: t.Reverse})
		}
		for _, t := range g.TrackProcesses {
			add = append(add, vrrp.Track{Kind: vrrp.TrackProcess, Name: t.Name, Weight: weight(t.Weight), Reverse: t.Reverse})
		}
		for i := range p.Instances {
			ic := &p.Instances[i]
			if !slices.Contains(g.Group, ic.Name) {
				continue
			}
			for _, t := range add {
				j := slices.IndexFunc(ic.Track, func(o vrrp.Track) bool { return o.Kind == t.Kind && o.Name == t.Name })
				switch {
				case j < 0:
					ic.Track = append(ic.Track, t)
				case t.Kind == vrrp.TrackFile && ic.Track[j].Weight != 0:
					ic.Track[j].Weight, ic.Track[j].Reverse = t.Weight, t.Reverse
				default:
					continue
				}
				if ref := (trackRef{t.Kind, t.Name}); rev[ref] {
					if p.Reverse[ic.Name] == nil {
						p.Reverse[ic.Name] = map[trackRef]bool{}
					}
					p.Reverse[ic.Name][ref] = true
				}
			}
		}
	}
}

// trackedObjects lists the track_files and vrrp_track_processes some instance tracks;
// keepalived watches no other.
func trackedObjects(cfg *config.Config, instances []vrrp.InstanceConfig) ([]FilePlan, []track.ProcessSpec) {
	used := map[trackRef]bool{}
	for _, ic := range instances {
		for _, t := range ic.Track {
			used[trackRef{t.Kind, t.Name}] = true
		}
	}
	var files []FilePlan
	for _, f := range cfg.TrackFiles {
		if used[trackRef{vrrp.TrackFile, f.Name}] {
			files = append(files, FilePlan{FileSpec: track.FileSpec{Name: f.Name, Path: f.File}, Init: f.InitFile})
		}
	}
	var procs []track.ProcessSpec
	for _, tp := range cfg.TrackProcesses {
		if !used[trackRef{vrrp.TrackProcess, tp.Name}] || len(tp.Process) == 0 {
			continue
		}
		s := track.ProcessSpec{Name: tp.Name, Process: tp.Process[0], Params: tp.Process[1:], FullCommand: tp.FullCommand,
			Quorum: tp.Quorum, QuorumMax: tp.QuorumMax, ForkDelay: tp.ForkDelay, TerminateDelay: tp.TerminateDelay}
		if len(s.Params) == 0 {
			s.Params = nil
		}
		s.ParamMatch = map[string]track.ParamMatch{"exact": track.MatchExact, "partial": track.MatchPartial,
			"initial": track.MatchInitial}[tp.ParamMatch]
		procs = append(procs, s)
	}
	return files, procs
}

// watchers are the running track_file and vrrp_track_process watchers.
type watchers struct {
	started   bool // the first sync (at start) has run: init_file never overwrites after it
	files     *track.FileWatcher
	filePlans []FilePlan
	procs     *track.Monitor
	procPlans []track.ProcessSpec
	// delays wraps the instances' LinkWatcher (interface_up_down_delays); set by openVRRP.
	delays *linkDelays
}

// syncTrackers starts, keeps or restarts the vrrp_scripts and the file and process
// watchers of p. Called with d.mu held, at start and on reload.
func (d *Director) syncTrackers(p VRRPPlan) {
	d.syncScripts(p.Scripts)
	w := &d.track.watch
	if w.delays != nil {
		w.delays.set(p.LinkDelays)
	}
	first := !w.started
	w.started = true
	if !reflect.DeepEqual(w.filePlans, p.Files) {
		if w.files != nil {
			w.files.Close()
			w.files = nil
		}
		w.filePlans = p.Files
		d.startFiles(p.Files, first)
	}
	if !reflect.DeepEqual(w.procPlans, p.Processes) {
		if w.procs != nil {
			w.procs.Stop()
			w.procs = nil
		}
		w.procPlans = p.Processes
		d.startProcesses(p.Processes)
	}
}

// stopTrackers stops the watchers (the vrrp_scripts are Run's). Called with d.mu held.
func (d *Director) stopTrackers() {
	w := &d.track.watch
	if w.files != nil {
		w.files.Close()
		w.files = nil
	}
	if w.procs != nil {
		w.procs.Stop()
		w.procs = nil
	}
}

func (d *Director) startFiles(files []FilePlan, first bool) {
	if len(files) == 0 {
		return
	}
	var specs []track.FileSpec
	for _, f := range files {
		if f.Init != nil {
			if err := initTrackFile(f.Path, *f.Init, first); err != nil {
				d.log.Error("track_file: init_file failed", "track_file", f.Name, "err", err)
			}
		}
		specs = append(specs, f.FileSpec)
	}
	w, err := track.WatchFiles(specs, d.log, func(name string, v int) { d.feedValue(trackRef{vrrp.TrackFile, name}, v) })
	if err != nil {
		// keepalived removes such a tracker; its instances see the value 0 (an absent file).
		d.log.Error("track_files cannot be watched; they count as 0", "err", err)
		for _, f := range files {
			d.feedValue(trackRef{vrrp.TrackFile, f.Name}, 0)
		}
		return
	}
	d.track.watch.files = w
}

// initTrackFile is keepalived's init_file: write "VALUE\n" when the file does not exist;
// with overwrite, also over an existing regular file, but only at start, never on reload.
func initTrackFile(path string, in config.TrackFileInit, start bool) error {
	st, err := os.Stat(path)
	switch {
	case err == nil && (!in.Overwrite || !start):
		return nil
	case err == nil && !st.Mode().IsRegular():
		return fmt.Errorf("%s is not a regular file", path)
	case err != nil && !errors.Is(err, fs.ErrNotExist):
		return err
	}
	return os.WriteFile(path, fmt.Appendf(nil, "%d\n", in.Value), 0o644)
}

func (d *Director) startProcesses(specs []track.ProcessSpec) {
	if len(specs) == 0 {
		return
	}
	cfg := track.MonitorConfig{Specs: specs, Procs: track.ProcFS{}, ScanInterval: processScanInterval, Log: d.log,
		Report: func(name string, up bool) { d.feed(trackRef{vrrp.TrackProcess, name}, up) }}
	src, err := track.OpenConnector(time.Second)
	if err != nil {
		d.log.Warn("track_process: the kernel's process events are unavailable; scanning /proc instead",
			"every", processScanInterval, "err", err)
	} else {
		cfg.Events = src
	}
	m := track.NewMonitor(cfg)
	if err := m.Start(); err != nil {
		d.log.Error("track_process: reading /proc failed; the processes count as not running", "err", err)
		if src != nil {
			src.Close()
		}
		for _, s := range specs {
			d.feed(trackRef{vrrp.TrackProcess, s.Name}, s.Quorum == 0)
		}
		return
	}
	d.track.watch.procs = m
}
