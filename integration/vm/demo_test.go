//go:build vmtest

package vm

import (
	"fmt"
	"os"
	"testing"
)

// demoMark starts every narration line of TestDemo on the console; scripts/demo.sh shows only
// those lines (the console also carries the kernel's and the test binaries' own output).
const demoMark = "HALVS-DEMO "

// TestDemo is `make demo`: the reference scenario on the seed configs exactly as they are in
// examples/seed, narrated. It runs only when HALVS_DEMO is set (scripts/demo.sh sets it): with
// the seed's delay_loop 6 and retries it takes minutes, and TestDirectorScenario covers the
// same steps with quicker checks in every `make vm-test`.
func TestDemo(t *testing.T) {
	if os.Getenv("HALVS_DEMO") == "" {
		t.Skip("the narrated demo runs under make demo (HALVS_DEMO=1)")
	}
	lab(t)
	say := func(line string) { fmt.Fprintln(os.Stdout, demoMark+line) }
	confA, confB := repoPath("examples/seed/director-a.hcl"), repoPath("examples/seed/director-b.hcl")
	say(fmt.Sprintf("lab: client %s; directors A %s, B %s; real servers rs1 %s, rs2 %s (busybox httpd,",
		client.addr, dirA.addr, dirB.addr, rs1.addr, rs2.addr))
	say(fmt.Sprintf("     VIP %s on lo, arp_ignore=1, arp_announce=2); one bridge; client polls every 200 ms", vip))
	say("configs: examples/seed/director-a.hcl and director-b.hcl as they are")
	runScenario(t, specFrom(t, confA, confB), say)
}
