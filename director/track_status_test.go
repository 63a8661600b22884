package director

import (
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/halvs/halvs/control"
)

// TestStatusTrackers: the status names each tracked object with its weight and its own
// state: a link up and one down, a failed script, a script that has not settled yet, and a
// track_file's value.
func TestStatusTrackers(t *testing.T) {
	k := newKernel()
	cfg := `
track_file "drain" {
  file      = "` + filepath.Join(t.TempDir(), "drain") + `"
  init_file = 3
}
vrrp_script "chk_fail" {
  script   = "/bin/false"
  interval = 3600
}
vrrp_script "chk_unsettled" {
  script   = "/bin/false"
  interval = 3600
  fall     = 2
}
` + owner("VI_1", 51, "10.0.0.1/32", "  priority          = 200\n  track_interface   = [\"eth1 weight 10\", \"down1 weight -5\"]\n  track_script      = [\"chk_fail weight -20 reverse\", \"chk_unsettled weight 5\"]\n  track_file        = [\"drain weight -2\"]\n")
	d, err := New(parse(t, cfg), k.options(t))
	if err != nil {
		t.Fatal(err)
	}
	stop := running(t, d)
	defer stop()
	// eth1 up +10, down1 down -5, chk_fail down but reversed: no -20; chk_unsettled unknown;
	// drain 3 × -2.
	k.clock.until(t, "priority 200+10-5-6", func() bool {
		inst := d.router.Instance("VI_1")
		return inst != nil && inst.Status().Priority == 199 && trackerState(d.Status(t.Context()), "script", "chk_fail") == "down"
	})
	three := 3
	want := []control.Tracker{
		{Kind: "interface", Name: "eth1", Weight: 10, State: "up"},
		{Kind: "interface", Name: "down1", Weight: -5, State: "down"},
		{Kind: "script", Name: "chk_fail", Weight: -20, Reverse: true, State: "down"},
		{Kind: "script", Name: "chk_unsettled", Weight: 5, State: "unknown"},
		{Kind: "file", Name: "drain", Weight: -2, State: "value", Value: &three},
	}
	if diff := cmp.Diff(want, d.Status(t.Context()).Instances[0].Trackers); diff != "" {
		t.Errorf("trackers (-want +got):\n%s", diff)
	}
}
