package config

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// keepalived's track_file, vrrp_track_process and the trackers of a vrrp_sync_group.

var trackFileSchema = schema{attrs: []string{"file", "weight", "reverse", "init_file"}}

func (d *decoder) trackFile(name string, blk *hclsyntax.Block) TrackFile {
	b := d.open(fmt.Sprintf("track_file %q", name), blk.Body, blk.DefRange(), trackFileSchema)
	t := TrackFile{Name: name, Weight: 1, Source: b.src}
	if !b.str("file", &t.File) || t.File == "" {
		d.errorf(blk.DefRange(), "track_file %q needs file = \"/path/to/file\"", name)
	}
	b.integer("weight", &t.Weight, -254, 254)
	b.boolean("reverse", &t.Reverse)
	if b.has("init_file") {
		t.InitFile = b.initFile()
	}
	return t
}

// initFile reads init_file: true (write 0), a number, or keepalived's words "[VALUE]
// [overwrite]".
func (b *block) initFile() *TrackFileInit {
	v, ok := b.value("init_file")
	if !ok {
		return nil
	}
	in := &TrackFileInit{}
	switch {
	case v.Type().FriendlyName() == "bool":
		if !v.True() {
			return nil
		}
	case v.Type().FriendlyName() == "number":
		if !b.integer("init_file", &in.Value, -254, 254) {
			return nil
		}
	case v.Type().FriendlyName() == "string":
		for _, w := range strings.Fields(v.AsString()) {
			if w == "overwrite" {
				in.Overwrite = true
				continue
			}
			n, err := strconv.Atoi(w)
			if err != nil || n < -254 || n > 254 {
				b.errorf("init_file", "init_file: %q is neither a value from -254 to 254 nor \"overwrite\" (the form is \"[VALUE] [overwrite]\")", w)
				return nil
			}
			in.Value = n
		}
	default:
		b.errorf("init_file", "init_file must be true, a number, or \"[VALUE] [overwrite]\"")
		return nil
	}
	return in
}

var trackProcessSchema = schema{attrs: []string{"process", "param_match", "weight", "reverse", "quorum", "quorum_max",
	"delay", "fork_delay", "terminate_delay", "full_command"}}

// maxProcessName is the longest process name the kernel keeps (TASK_COMM_LEN - 1).
const maxProcessName = 15

func (d *decoder) trackProcess(name string, blk *hclsyntax.Block) TrackProcess {
	what := fmt.Sprintf("vrrp_track_process %q", name)
	b := d.open(what, blk.Body, blk.DefRange(), trackProcessSchema)
	t := TrackProcess{Name: name, Quorum: 1, QuorumMax: QuorumUnlimited, Source: b.src}
	var proc Script
	if !b.script("process", &proc) {
		if !b.has("process") {
			d.errorf(blk.DefRange(), "%s needs process = \"NAME [PARAMETERS]\"", what)
		}
	}
	t.Process = proc.Argv
	if len(t.Process) > 1 { // keepalived: parameters match the full command line exactly
		t.FullCommand, t.ParamMatch = true, "exact"
	}
	var match string
	if b.str("param_match", &match) {
		switch match {
		case "exact", "partial", "initial":
			t.ParamMatch, t.FullCommand = match, true
		default:
			b.errorf("param_match", "param_match must be \"exact\", \"partial\" or \"initial\", not %q%s", match,
				suggestValue(match, []string{"exact", "partial", "initial"}))
		}
	}
	var full bool
	if b.boolean("full_command", &full) && full {
		t.FullCommand = true
	}
	b.integer("weight", &t.Weight, -254, 254)
	b.boolean("reverse", &t.Reverse)
	hasQuorum := b.integer("quorum", &t.Quorum, 1, 65535)
	if b.integer("quorum_max", &t.QuorumMax, 0, 65535) {
		switch {
		case t.QuorumMax == 0 && !hasQuorum:
			t.Quorum = 0 // keepalived: quorum_max 0 alone means "none may run"
		case t.QuorumMax < t.Quorum:
			b.errorf("quorum_max", "quorum_max %d is less than quorum %d", t.QuorumMax, t.Quorum)
		}
	}
	var both time.Duration
	if b.duration("delay", &both) {
		t.ForkDelay, t.TerminateDelay = both, both
	}
	b.duration("fork_delay", &t.ForkDelay)
	b.duration("terminate_delay", &t.TerminateDelay)
	for _, k := range []string{"delay", "fork_delay", "terminate_delay"} {
		var v time.Duration
		if b.duration(k, &v) && (v <= 0 || v > time.Hour) {
			b.errorf(k, "%s must be more than 0 and at most 3600s", k)
		}
	}
	if len(t.Process) > 0 && !t.FullCommand && len(t.Process[0]) > maxProcessName {
		b.warnf("process", "process %q is longer than the %d bytes the kernel keeps of a process name, so it never matches; use full_command = true to match the command line", t.Process[0], maxProcessName)
	}
	return t
}

// trackDefaults maps a tracked block's name to its weight and reverse.
type trackDefaults map[string]TrackRef

func trackFileDefaults(cfg *Config) trackDefaults {
	m := trackDefaults{}
	for _, f := range cfg.TrackFiles {
		m[f.Name] = TrackRef{Name: f.Name, Weight: f.Weight, Reverse: f.Reverse}
	}
	return m
}

func trackProcessDefaults(cfg *Config) trackDefaults {
	m := trackDefaults{}
	for _, p := range cfg.TrackProcesses {
		m[p.Name] = TrackRef{Name: p.Name, Weight: p.Weight, Reverse: p.Reverse}
	}
	return m
}

// trackRefs reads track_file or track_process entries, "NAME [weight N [reverse|noreverse]]";
// an entry without a weight takes the block's weight and reverse. Names are checked here,
// since the blocks are read first.
func (b *block) trackRefs(keyword string, blocks trackDefaults) []TrackRef {
	kind := map[string]string{"track_file": "track_file", "track_process": "vrrp_track_process"}[keyword]
	items, _ := b.strings(keyword)
	var out []TrackRef
	for _, it := range items {
		t, err := parseTrack(it.s, -254, 254)
		if err != nil {
			b.d.errorf(it.r, "%s entry %q: %v", keyword, it.s, err)
			continue
		}
		def, ok := blocks[t.name]
		if !ok {
			var names []string
			for n := range blocks {
				names = append(names, n)
			}
			slices.Sort(names)
			b.d.errorf(it.r, "%s %q names no %s block%s", keyword, t.name, kind, suggest(t.name, names, nil))
			continue
		}
		if slices.ContainsFunc(out, func(r TrackRef) bool { return r.Name == t.name }) {
			b.d.errorf(it.r, "%s lists %q twice", keyword, t.name)
			continue
		}
		ref := TrackRef{Name: t.name, Weight: def.Weight, Reverse: def.Reverse, Source: Source{Range: it.r}}
		if t.hasWeight {
			ref.Weight = t.weight
			if slices.Contains(strings.Fields(it.s), "noreverse") || slices.Contains(strings.Fields(it.s), "no_reverse") {
				ref.Reverse = false
			} else if t.reverse {
				ref.Reverse = true
			}
		}
		out = append(out, ref)
	}
	return out
}

func (d *decoder) syncGroupTrackers(b *block, sg *VRRPSyncGroup, cfg *Config) {
	sg.TrackInterfaces = b.trackInterfaces()
	sg.TrackScripts = b.trackScripts(cfg.VRRPScripts)
	sg.TrackFiles = b.trackRefs("track_file", trackFileDefaults(cfg))
	sg.TrackProcesses = b.trackRefs("track_process", trackProcessDefaults(cfg))
	b.boolean("sync_group_tracking_weight", &sg.TrackingWeight)
}

// validateGroupTracking applies keepalived's rule to the members of a sync group without
// sync_group_tracking_weight (vrrp.c, vrrp_complete_instance): their weighted
// track_interface entries count with weight 0 (down is FAULT), a track_file of weight 1
// (the default) too, and their other weighted track_script and track_file entries are
// ignored. Each change is a warning at its entry. It also checks the group's own scripts.
func validateGroupTracking(d *decoder, cfg *Config) {
	for _, sg := range cfg.VRRPSyncGroups {
		for _, ts := range sg.TrackScripts {
			if cfg.Script(ts.Name) == nil {
				d.errorf(ts.Source.Range, "track_script %q names no vrrp_script%s", ts.Name, suggest(ts.Name, scriptNames(cfg), nil))
			}
		}
		if sg.TrackingWeight {
			continue
		}
		why := fmt.Sprintf("vrrp_instance %%q is in vrrp_sync_group %q without sync_group_tracking_weight", sg.Name)
		for _, name := range sg.Group {
			vi := cfg.Instance(name)
			if vi == nil {
				continue
			}
			for i := range vi.TrackInterfaces {
				if t := &vi.TrackInterfaces[i]; t.Weight != 0 {
					d.warnf(t.Source.Range, why+": track_interface %q counts with weight 0, so its going down is a FAULT (keepalived's rule)", vi.Name, t.Name)
					t.Weight = 0
				}
			}
			vi.TrackScripts = slices.DeleteFunc(vi.TrackScripts, func(t TrackScript) bool {
				if t.Weight != 0 {
					d.warnf(t.Source.Range, why+": the weighted track_script %q is ignored (keepalived's rule; give it weight 0, or track it on the group)", vi.Name, t.Name)
				}
				return t.Weight != 0
			})
			vi.TrackFiles = slices.DeleteFunc(vi.TrackFiles, func(t TrackRef) bool {
				if t.Weight == 1 {
					d.warnf(t.Source.Range, why+": track_file %q counts with weight 0 (a non-zero value is a FAULT); say weight 0", vi.Name, t.Name)
					return false
				}
				if t.Weight != 0 {
					d.warnf(t.Source.Range, why+": the weighted track_file %q is ignored (keepalived's rule)", vi.Name, t.Name)
				}
				return t.Weight != 0
			})
			for i := range vi.TrackFiles {
				if vi.TrackFiles[i].Weight == 1 {
					vi.TrackFiles[i].Weight = 0
				}
			}
		}
	}
}

func scriptNames(cfg *Config) []string {
	var out []string
	for _, s := range cfg.VRRPScripts {
		out = append(out, s.Name)
	}
	return out
}
