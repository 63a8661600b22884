package config_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/halvs/halvs/config"
	"github.com/halvs/halvs/config/configtest"
)

const trackBlocks = `track_file "drain" {
  file = "/run/halvs/drain"
  weight = -10
  init_file = "0 overwrite"
}
track_file "stop" {
  file = "/run/halvs/stop"
}
vrrp_track_process "haproxy" {
  process = "haproxy"
  weight = 20
  reverse = true
  quorum = 2
  delay = 0.5
  terminate_delay = 2
}
vrrp_track_process "cmd" {
  process = "/usr/sbin/haproxy -f /etc/haproxy.cfg"
}
vrrp_track_process "none" {
  process = "telnetd"
  quorum_max = 0
}
vrrp_script "chk" {
  script = "/bin/true"
  weight = -30
}
`

func TestTrackFileAndProcess(t *testing.T) {
	cfg := mustParse(t, trackBlocks+vi(`  track_file = ["drain", "stop weight 5 reverse"]
  track_process = ["haproxy weight -7", "cmd"]
`))
	wantFiles := []config.TrackFile{
		{Name: "drain", File: "/run/halvs/drain", Weight: -10, InitFile: &config.TrackFileInit{Value: 0, Overwrite: true}},
		{Name: "stop", File: "/run/halvs/stop", Weight: 1},
	}
	if diff := cmp.Diff(wantFiles, cfg.TrackFiles, configtest.IgnorePositions()); diff != "" {
		t.Errorf("track_file (-want +got):\n%s", diff)
	}
	wantProcs := []config.TrackProcess{
		{Name: "haproxy", Process: []string{"haproxy"}, Weight: 20, Reverse: true, Quorum: 2, QuorumMax: config.QuorumUnlimited,
			ForkDelay: 500 * time.Millisecond, TerminateDelay: 2 * time.Second},
		{Name: "cmd", Process: []string{"/usr/sbin/haproxy", "-f", "/etc/haproxy.cfg"}, FullCommand: true, ParamMatch: "exact",
			Quorum: 1, QuorumMax: config.QuorumUnlimited},
		{Name: "none", Process: []string{"telnetd"}, Quorum: 0, QuorumMax: 0},
	}
	if diff := cmp.Diff(wantProcs, cfg.TrackProcesses, configtest.IgnorePositions()); diff != "" {
		t.Errorf("vrrp_track_process (-want +got):\n%s", diff)
	}
	vi := cfg.VRRPInstances[0]
	wantRefs := []config.TrackRef{{Name: "drain", Weight: -10}, {Name: "stop", Weight: 5, Reverse: true}}
	if diff := cmp.Diff(wantRefs, vi.TrackFiles, configtest.IgnorePositions()); diff != "" {
		t.Errorf("instance track_file (-want +got):\n%s", diff)
	}
	// An entry's weight replaces the block's; the block's reverse stays unless noreverse.
	wantRefs = []config.TrackRef{{Name: "haproxy", Weight: -7, Reverse: true}, {Name: "cmd"}}
	if diff := cmp.Diff(wantRefs, vi.TrackProcesses, configtest.IgnorePositions()); diff != "" {
		t.Errorf("instance track_process (-want +got):\n%s", diff)
	}
}

func TestSyncGroupTrackers(t *testing.T) {
	src := trackBlocks + vi(`  track_interface = ["eth1 weight 10", "eth2"]
  track_script = ["chk", "chk weight 0"]
  track_file = ["stop", "drain"]
`) + `vrrp_instance "VI_2" {
  interface = "eth1"
  virtual_router_id = 52
  virtual_ipaddress = ["192.0.2.101"]
}
vrrp_sync_group "G1" {
  group = ["VI_1", "VI_2"]
  track_interface = ["eth3 weight -5"]
  track_script = ["chk"]
  track_file = ["drain weight 2"]
  track_process = ["none"]
}
`
	cfg, diags := config.Parse([]byte(src), "t.hcl")
	if cfg == nil {
		t.Fatalf("errors:\n%s", diags)
	}
	want := []string{
		`31:22: warning: vrrp_instance "VI_1" is in vrrp_sync_group "G1" without sync_group_tracking_weight: track_interface "eth1" counts with weight 0`,
		`32:19: warning: the weighted track_script "chk" is ignored`,
		`33:17: warning: track_file "stop" counts with weight 0`,
		`33:25: warning: the weighted track_file "drain" is ignored`,
	}
	if missing, extra := matchDiags(diags, want); len(missing)+len(extra) > 0 {
		t.Errorf("diagnostics differ\nmissing: %q\nunexpected:\n%s\ngot:\n%s", missing, extra, diags)
	}
	vi1 := cfg.VRRPInstances[0]
	if diff := cmp.Diff([]config.TrackInterface{{Name: "eth1"}, {Name: "eth2"}}, vi1.TrackInterfaces, configtest.IgnorePositions()); diff != "" {
		t.Errorf("member track_interface (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]config.TrackScript{{Name: "chk"}}, vi1.TrackScripts, configtest.IgnorePositions()); diff != "" {
		t.Errorf("member track_script (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]config.TrackRef{{Name: "stop"}}, vi1.TrackFiles, configtest.IgnorePositions()); diff != "" {
		t.Errorf("member track_file (-want +got):\n%s", diff)
	}
	g := cfg.VRRPSyncGroups[0]
	wantGroup := config.VRRPSyncGroup{Name: "G1", Group: []string{"VI_1", "VI_2"},
		TrackInterfaces: []config.TrackInterface{{Name: "eth3", Weight: -5}},
		TrackScripts:    []config.TrackScript{{Name: "chk", Weight: -30}},
		TrackFiles:      []config.TrackRef{{Name: "drain", Weight: 2}},
		TrackProcesses:  []config.TrackRef{{Name: "none"}},
	}
	if diff := cmp.Diff(wantGroup, g, configtest.IgnorePositions()); diff != "" {
		t.Errorf("vrrp_sync_group (-want +got):\n%s", diff)
	}

	// With sync_group_tracking_weight the members keep their weights.
	withWeight := mustParse(t, trackBlocks+vi("  track_interface = [\"eth1 weight 10\"]\n")+`vrrp_sync_group "G1" {
  group = ["VI_1"]
  sync_group_tracking_weight = true
}
`)
	if w := withWeight.VRRPInstances[0].TrackInterfaces[0].Weight; w != 10 || !withWeight.VRRPSyncGroups[0].TrackingWeight {
		t.Errorf("with sync_group_tracking_weight: weight %d, TrackingWeight %v; want 10, true", w, withWeight.VRRPSyncGroups[0].TrackingWeight)
	}
}

func TestTrackValidation(t *testing.T) {
	runDiagCases(t, []diagCase{
		{name: "track_file unknown", src: trackBlocks + vi("  track_file = [\"drian\"]\n"),
			want: []string{`31:17: error: track_file "drian" names no track_file block; did you mean "drain"?`}},
		{name: "track_process unknown", src: trackBlocks + vi("  track_process = [\"hapraxy\"]\n"),
			want: []string{`31:20: error: track_process "hapraxy" names no vrrp_track_process block; did you mean "haproxy"?`}},
		{name: "track_file twice", src: trackBlocks + vi("  track_file = [\"drain\", \"drain weight 2\"]\n"),
			want: []string{`31:26: error: track_file lists "drain" twice`}},
		{name: "track_file weight range", src: trackBlocks + vi("  track_file = [\"drain weight 255\"]\n"),
			want: []string{`31:17: error: track_file entry "drain weight 255": weight "255" must be a whole number from -254 to 254`}},
		{name: "group track_script unknown", src: vi("") + "vrrp_sync_group \"G\" {\n  group = [\"VI_1\"]\n  track_script = [\"nope\"]\n}\n",
			want: []string{`8:19: error: track_script "nope" names no vrrp_script`, `7:11: warning: vrrp_sync_group "G" has only one instance`}},
		{name: "process missing", src: "vrrp_track_process \"p\" {\n  quorum = 2\n}\n",
			want: []string{`1:1: error: vrrp_track_process "p" needs process`}},
		{name: "quorum above quorum_max", src: "vrrp_track_process \"p\" {\n  process = \"x\"\n  quorum = 3\n  quorum_max = 2\n}\n",
			want: []string{`4:16: error: quorum_max 2 is less than quorum 3`}},
		{name: "param_match", src: "vrrp_track_process \"p\" {\n  process = \"x\"\n  param_match = \"prefix\"\n}\n",
			want: []string{`3:17: error: param_match must be "exact", "partial" or "initial", not "prefix"`}},
		{name: "delay range", src: "vrrp_track_process \"p\" {\n  process = \"x\"\n  fork_delay = 7200\n}\n",
			want: []string{`3:16: error: fork_delay must be more than 0 and at most 3600s`}},
		{name: "name longer than comm", src: "vrrp_track_process \"p\" {\n  process = \"a-very-long-daemon\"\n}\n",
			want: []string{`2:13: warning: process "a-very-long-daemon" is longer than the 15 bytes`}},
		{name: "long name with full_command", src: "vrrp_track_process \"p\" {\n  process = \"a-very-long-daemon\"\n  full_command = true\n}\n"},
		{name: "init_file words", src: "track_file \"f\" {\n  file = \"/x\"\n  init_file = \"5 clobber\"\n}\n",
			want: []string{`3:15: error: init_file: "clobber" is neither a value from -254 to 254 nor "overwrite"`}},
		{name: "init_file range", src: "track_file \"f\" {\n  file = \"/x\"\n  init_file = 300\n}\n",
			want: []string{`3:15: error: init_file must be a whole number from -254 to 254`}},
	})
}

func TestTrackFileInitForms(t *testing.T) {
	tests := []struct {
		name, value string
		want        *config.TrackFileInit
	}{
		{"true", "true", &config.TrackFileInit{}},
		{"false", "false", nil},
		{"number", "-5", &config.TrackFileInit{Value: -5}},
		{"overwrite", `"overwrite"`, &config.TrackFileInit{Overwrite: true}},
		{"value and overwrite", `"7 overwrite"`, &config.TrackFileInit{Value: 7, Overwrite: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := mustParse(t, "track_file \"f\" {\n  file = \"/x\"\n  init_file = "+tt.value+"\n}\n")
			if diff := cmp.Diff(tt.want, cfg.TrackFiles[0].InitFile); diff != "" {
				t.Errorf("init_file (-want +got):\n%s", diff)
			}
		})
	}
}

func TestInterfaceUpDownDelays(t *testing.T) {
	cfg := mustParse(t, "interface_up_down_delays = [\"eth0 0.5 0.2\", \"eth1 1\"]\n"+vi("  advert_int = 1\n"))
	want := []config.InterfaceDelay{
		{Name: "eth0", Down: 500 * time.Millisecond, Up: 200 * time.Millisecond},
		{Name: "eth1", Down: time.Second}, // keepalived's parser: no up delay means 0
	}
	if diff := cmp.Diff(want, cfg.InterfaceDelays, configtest.IgnorePositions()); diff != "" {
		t.Errorf("interface_up_down_delays (-want +got):\n%s", diff)
	}
	runDiagCases(t, []diagCase{
		{name: "no delay", src: "interface_up_down_delays = [\"eth0\"]\n",
			want: []string{`1:29: error: interface_up_down_delays entry "eth0": 1 words`}},
		{name: "above 255s", src: "interface_up_down_delays = [\"eth0 300\"]\n",
			want: []string{`1:29: error: interface_up_down_delays entry "eth0 300": 300 is above 255s`}},
		{name: "twice", src: "interface_up_down_delays = [\"eth0 1\", \"eth0 2\"]\n",
			want: []string{`1:39: error: interface_up_down_delays entry "eth0 2": eth0 is listed twice`}},
		{name: "not a duration", src: "interface_up_down_delays = [\"eth0 soon\"]\n",
			want: []string{`1:29: error: interface_up_down_delays entry "eth0 soon": "soon" is not a duration`}},
		{name: "down delay of two adverts", src: "interface_up_down_delays = [\"eth0 2\"]\n" + vi("  advert_int = 1\n"),
			want: []string{`1:29: warning: interface_up_down_delays: eth0's down delay 2s is not below two advert intervals of vrrp_instance "VI_1"`}},
	})
}
