//go:build vmtest

package vm

import (
	"testing"
)

// quickChecks turns the seed's checks into one-second ones, so that the scenario runs in
// well under a minute; the bounds the test asserts are computed from the result.
var quickChecks = []string{
	"delay_loop          = 6", "delay_loop          = 1",
	"connect_timeout    = 3", "connect_timeout    = 1",
	"retry              = 3", "retry              = 1",
	"delay_before_retry = 3", "delay_before_retry = 1",
}

// TestDirectorScenario: two `halvs run` directors on the seed with quicker checks and
// inhibit_on_failure. Stopping httpd on rs1 sets its weight to 0 on both directors within
// connect_timeout + retry × delay_before_retry + delay_loop while the client keeps getting
// answers from rs2; restarting it restores weight 3; killing the master moves the VIP to the
// backup and the client's requests continue; the master comes back and preempts.
func TestDirectorScenario(t *testing.T) {
	lab(t)
	dir := t.TempDir()
	edits := append(quickChecks, `lb_kind             = "DR"`, `lb_kind             = "DR"
  inhibit_on_failure  = true`)
	spec := specFrom(t, seedVariant(t, dir, "director-a.hcl", edits...), seedVariant(t, dir, "director-b.hcl", edits...))
	if !spec.inhibit {
		t.Fatal("the derived config does not set inhibit_on_failure")
	}
	spec.spread = 20
	runScenario(t, spec, func(line string) { t.Log(line) })
}
