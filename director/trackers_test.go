package director

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/halvs/halvs/config"
	"github.com/halvs/halvs/track"
	"github.com/halvs/halvs/vrrp"
)

func TestTranslateTrackers(t *testing.T) {
	cfg := parse(t, `track_file "drain" {
  file = "/run/drain"
  weight = -1
  init_file = true
}
track_file "unused" {
  file = "/run/unused"
}
vrrp_track_process "haproxy" {
  process = "/usr/sbin/haproxy -f /etc/haproxy.cfg"
  param_match = "partial"
  quorum = 2
  fork_delay = 1
}
vrrp_script "chk" {
  script = "/bin/true"
  weight = -5
  reverse = true
}
vrrp_instance "VI_1" {
  interface = "eth0"
  virtual_router_id = 1
  virtual_ipaddress = ["10.0.0.1"]
  track_file = ["drain weight 0"]
}
vrrp_instance "VI_2" {
  interface = "eth0"
  virtual_router_id = 2
  virtual_ipaddress = ["10.0.0.2"]
}
vrrp_sync_group "G" {
  group = ["VI_1", "VI_2"]
  track_interface = ["eth9 weight -3"]
  track_script = ["chk"]
  track_file = ["drain weight 4"]
  track_process = ["haproxy weight 10 reverse"]
}
`)
	p, err := TranslateVRRP(cfg)
	if err != nil {
		t.Fatal(err)
	}
	group := []vrrp.Track{
		{Kind: vrrp.TrackInterface, Name: "eth9", Weight: -3},
		{Kind: vrrp.TrackScript, Name: "chk", Weight: -5},
		{Kind: vrrp.TrackFile, Name: "drain", Weight: 4},
		{Kind: vrrp.TrackProcess, Name: "haproxy", Weight: 10, Reverse: true},
	}
	// VI_1 tracks drain with weight 0 itself: keepalived keeps an unweighted entry.
	want1 := []vrrp.Track{{Kind: vrrp.TrackFile, Name: "drain", Weight: 0}, group[0], group[1], group[3]}
	if diff := cmp.Diff(want1, p.Instances[0].Track); diff != "" {
		t.Errorf("VI_1 trackers (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(group, p.Instances[1].Track); diff != "" {
		t.Errorf("VI_2 trackers (-want +got):\n%s", diff)
	}
	wantRev := map[string]map[trackRef]bool{"VI_1": {{vrrp.TrackScript, "chk"}: true}, "VI_2": {{vrrp.TrackScript, "chk"}: true}}
	if diff := cmp.Diff(wantRev, p.Reverse); diff != "" {
		t.Errorf("Reverse (-want +got):\n%s", diff)
	}
	wantFiles := []FilePlan{{FileSpec: track.FileSpec{Name: "drain", Path: "/run/drain"}, Init: &config.TrackFileInit{}}}
	if diff := cmp.Diff(wantFiles, p.Files); diff != "" {
		t.Errorf("Files (only those tracked) (-want +got):\n%s", diff)
	}
	wantProcs := []track.ProcessSpec{{Name: "haproxy", Process: "/usr/sbin/haproxy", Params: []string{"-f", "/etc/haproxy.cfg"},
		ParamMatch: track.MatchPartial, FullCommand: true, Quorum: 2, QuorumMax: config.QuorumUnlimited, ForkDelay: time.Second}}
	if diff := cmp.Diff(wantProcs, p.Processes); diff != "" {
		t.Errorf("Processes (-want +got):\n%s", diff)
	}
}

func TestInitTrackFile(t *testing.T) {
	tests := []struct {
		name    string
		existed string // "" no file
		in      config.TrackFileInit
		start   bool
		want    string
	}{
		{name: "created when missing", in: config.TrackFileInit{Value: 5}, start: true, want: "5\n"},
		{name: "created when missing on reload too", in: config.TrackFileInit{Value: -2}, want: "-2\n"},
		{name: "left alone when present", existed: "9\n", in: config.TrackFileInit{Value: 5}, start: true, want: "9\n"},
		{name: "overwritten at start", existed: "9\n", in: config.TrackFileInit{Value: 0, Overwrite: true}, start: true, want: "0\n"},
		{name: "never overwritten by a reload", existed: "9\n", in: config.TrackFileInit{Value: 0, Overwrite: true}, want: "9\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "f")
			if tt.existed != "" {
				if err := os.WriteFile(path, []byte(tt.existed), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			if err := initTrackFile(path, tt.in, tt.start); err != nil {
				t.Fatal(err)
			}
			got, _ := os.ReadFile(path)
			if string(got) != tt.want {
				t.Errorf("file holds %q, want %q", got, tt.want)
			}
		})
	}
	if err := initTrackFile(t.TempDir(), config.TrackFileInit{Overwrite: true}, true); err == nil {
		t.Error("a directory was overwritten, or no error said why not")
	}
}

// TestTrackFileMovesPriority: a running director writes init_file, feeds the file's value
// times the weight into the instance's priority, follows writes to the file, and shows the
// value in Status; a reload that changes the weight applies in place.
func TestTrackFileMovesPriority(t *testing.T) {
	k := newKernel()
	path := filepath.Join(t.TempDir(), "drain")
	conf := func(weight string) string {
		return `track_file "drain" {
  file = "` + path + `"
  init_file = 3
}
vrrp_instance "VI_1" {
  interface = "eth0"
  virtual_router_id = 1
  priority = 100
  advert_int = "100ms"
  version = 3
  virtual_ipaddress = ["10.0.0.1/24"]
  track_file = ["drain weight ` + weight + `"]
}
`
	}
	d, err := New(parse(t, conf("-2")), k.options(t))
	if err != nil {
		t.Fatal(err)
	}
	running(t, d)
	priority := func(want int) {
		t.Helper()
		eventually(t, fmt.Sprintf("priority %d", want), func() bool {
			inst := d.router.Instance("VI_1")
			return inst != nil && int(inst.Status().Priority) == want
		})
	}
	priority(94) // 100 + 3 × -2, the value init_file wrote
	if err := os.WriteFile(path, []byte("10\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	priority(80)
	if got := tracker(d.Status(t.Context()), "file", "drain"); got == nil || got.Value == nil || *got.Value != 10 {
		t.Errorf("status of track_file drain: %+v, want value 10", got)
	}
	if err := os.WriteFile(path, []byte("-200"), 0o644); err != nil { // -200 × -2 = 400: at most 253 → 254
		t.Fatal(err)
	}
	priority(254)
	if err := os.WriteFile(path, []byte("127"), 0o644); err != nil { // -254: FAULT
		t.Fatal(err)
	}
	eventually(t, "FAULT", func() bool { return d.router.Instance("VI_1").Status().State == vrrp.StateFault })

	inst := d.router.Instance("VI_1")
	if err := d.Reload(parse(t, conf("0"))); err != nil {
		t.Fatal(err)
	}
	if d.router.Instance("VI_1") != inst {
		t.Error("a track_file weight change restarted the instance")
	}
	if got, _ := os.ReadFile(path); string(got) != "127" {
		t.Errorf("the reload rewrote the file: %q", got) // init_file never overwrites on reload
	}
	if err := os.WriteFile(path, []byte("0"), 0o644); err != nil { // weight 0: 0 is OK
		t.Fatal(err)
	}
	eventually(t, "out of FAULT", func() bool { return inst.Status().State != vrrp.StateFault })
	if p := inst.Status().Priority; p != 100 {
		t.Errorf("priority %d, want 100 (weight 0 adds nothing)", p)
	}
}
