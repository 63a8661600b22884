package main

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/halvs/halvs/director"
)

// TestSystemdUnitStopTimeout: systemd's stop timeout leaves halvs the whole wait for scripts
// and time to remove its IPVS services after it; otherwise systemd's SIGKILL would skip the
// clean-up.
func TestSystemdUnitStopTimeout(t *testing.T) {
	unit, err := os.ReadFile(unitFile)
	if err != nil {
		t.Fatal(err)
	}
	var timeout time.Duration
	for _, line := range strings.Split(string(unit), "\n") {
		if v, ok := strings.CutPrefix(line, "TimeoutStopSec="); ok {
			if timeout, err = time.ParseDuration(v); err != nil {
				t.Fatalf("TimeoutStopSec=%s: %v (the test reads Go durations such as 30s)", v, err)
			}
		}
	}
	// The control socket's shutdown may take up to 5 s more; IPVS removal needs a moment.
	if min := director.DefaultScriptWait + 10*time.Second; timeout < min {
		t.Errorf("TimeoutStopSec = %v, want at least %v (the wait for scripts, %v, plus the clean-up)", timeout, min, director.DefaultScriptWait)
	}
}
