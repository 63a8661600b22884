package director

import (
	"bytes"
	"log/slog"
	"testing"

	"github.com/halvs/halvs/internal/logtest"
)

// TestJSONLogLines: a director with a failing vrrp_script, a takeover and a stop logs JSON
// lines with no key twice (the script's name once) and states by name.
func TestJSONLogLines(t *testing.T) {
	k := newKernel()
	cfg := `
vrrp_script "chk_fail" {
  script   = "/bin/false"
  interval = 3600
  weight   = -20
}
` + owner("VI_1", 51, "10.0.0.1/32", "  priority          = 200\n  track_script      = [\"chk_fail\"]\n")
	var logs lockedBuffer
	opts := k.options(t)
	opts.Logger = slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	d, err := New(parse(t, cfg), opts)
	if err != nil {
		t.Fatal(err)
	}
	stop := running(t, d)
	k.clock.until(t, "the script's KO and the VIP", func() bool {
		return trackerState(d.Status(t.Context()), "script", "chk_fail") == "down" && k.hasVIP("10.0.0.1/32")
	})
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	out := []byte(logs.String())
	for _, want := range []string{`"msg":"VRRP_Script failed","script":"chk_fail","state":"KO"`, `"msg":"Entering MASTER STATE"`} {
		if !bytes.Contains(out, []byte(want)) {
			t.Errorf("no line with %s in\n%s", want, out)
		}
	}
	for _, p := range logtest.CheckJSONLines(out) {
		t.Error(p)
	}
}
