//go:build vmtest

package vm

import (
	"fmt"
	"os"
	"strings"
	"testing"
	"time"
)

// halvsBin is the halvs binary that `make build` made, copied into the guest's repository.
func halvsBin() string { return repoPath("bin/halvs") }

// requireHalvsIPVS skips until halvs has its `ipvs` command (issue 4: `halvs ipvs -c FILE`
// applies the config's table once; --dry-run prints the operations in ipvsadm's notation).
func requireHalvsIPVS(t *testing.T) {
	t.Helper()
	lab(t)
	out, _ := runErr(halvsBin(), "help")
	for _, line := range strings.Split(out, "\n") {
		if f := strings.Fields(line); len(f) > 0 && f[0] == "ipvs" {
			return
		}
	}
	t.Skip("bin/halvs has no ipvs command yet (`halvs help` does not list it): " +
		"the halvs-vs-keepalived tests wait for `halvs ipvs -c FILE`")
}

// halvsIPVS runs `halvs ipvs ARGS...` in director A's namespace.
func halvsIPVS(t *testing.T, args ...string) string {
	t.Helper()
	return nsRun(t, dirA.ns, halvsBin()+" ipvs "+strings.Join(args, " "))
}

// dryRun returns the operations `halvs ipvs --dry-run -c FILE` would apply, one per element:
// its lines in ipvsadm's notation ("-a -t ..."); summaries and log lines are left out.
func dryRun(t *testing.T, file string) []string {
	t.Helper()
	var ops []string
	for _, line := range strings.Split(halvsIPVS(t, "--dry-run", "-c", file), "\n") {
		line = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(line), "ipvsadm "))
		if strings.HasPrefix(line, "-") {
			ops = append(ops, strings.Join(strings.Fields(line), " "))
		}
	}
	return ops
}

// TestHalvsProgramsKeepalivedTable: from each reference configuration, halvs programs exactly
// the table keepalived programs from its twin, as `ipvsadm -Ln` prints it.
func TestHalvsProgramsKeepalivedTable(t *testing.T) {
	requireHalvsIPVS(t)
	for _, rc := range refConfigs() {
		t.Run(rc.name, func(t *testing.T) {
			want := tableShape(keepalivedTable(t, rc.keepalive))
			clearIPVS(t, dirA)
			t.Logf("halvs ipvs -c %s:\n%s", rc.hcl, halvsIPVS(t, "-c", repoPath(rc.hcl)))
			got := tableShape(ipvsList(t, dirA.ns))
			if got != want {
				t.Errorf("ipvsadm -Ln after halvs ipvs -c %s:\n%s\nkeepalived -C -f %s:\n%s",
					rc.hcl, got, rc.keepalive, want)
			}
			if ops := dryRun(t, repoPath(rc.hcl)); len(ops) != 0 {
				t.Errorf("a dry run right after applying %s plans %d operations, want none:\n%s",
					rc.hcl, len(ops), strings.Join(ops, "\n"))
			}
		})
	}
}

// TestHalvsSecondApplyIsNoop: on a director whose table already matches (a restart), halvs
// changes nothing. A deleted and re-created destination would lose its counters, so the
// counters built up by real traffic must survive the second apply.
func TestHalvsSecondApplyIsNoop(t *testing.T) {
	requireHalvsIPVS(t)
	seed := repoPath("examples/seed/director-a.hcl")
	clearIPVS(t, dirA)
	halvsIPVS(t, "-c", seed)
	holdVIP(t, dirA)
	if got := fetch(t, 10); got["FAIL"] != 0 || got["rs1"] == 0 || got["rs2"] == 0 {
		t.Fatalf("client requests through the seed's table: %v", got)
	}
	before := waitStats(t, dirA.ns, func(stats map[string]destStats) bool {
		for _, s := range stats {
			if s.Conns == 0 {
				return false
			}
		}
		return len(stats) > 0
	})

	if ops := dryRun(t, seed); len(ops) != 0 {
		t.Errorf("dry run on an applied table plans %d operations, want none:\n%s", len(ops), strings.Join(ops, "\n"))
	}
	table := tableShape(ipvsList(t, dirA.ns))
	t.Logf("second halvs ipvs -c %s:\n%s", seed, halvsIPVS(t, "-c", seed))
	if got := tableShape(ipvsList(t, dirA.ns)); got != table {
		t.Errorf("the second apply changed the table:\nbefore:\n%s\nafter:\n%s", table, got)
	}
	after := ipvsStats(t, dirA.ns)
	for key, b := range before {
		if a := after[key]; a.Conns < b.Conns || a.InPkts < b.InPkts {
			t.Errorf("%s: counters went from %+v to %+v: the second apply re-created it", key, b, a)
		}
	}
}

// waitStats waits (bounded) until the rate estimator has folded the traffic so far into the
// counters, as ready tells from them, and returns them.
func waitStats(t *testing.T, ns string, ready func(map[string]destStats) bool) map[string]destStats {
	t.Helper()
	var stats map[string]destStats
	for i := 0; i < 50; i++ {
		if stats = ipvsStats(t, ns); ready(stats) {
			return stats
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("IPVS counters not there after 5 s: %v", stats)
	return nil
}

// TestHalvsMinimalDiffUnderTraffic: changing one real server's weight in the config costs
// exactly one operation, applied while the client fetches back to back without one failure.
func TestHalvsMinimalDiffUnderTraffic(t *testing.T) {
	requireHalvsIPVS(t)
	seed := repoPath("examples/seed/director-a.hcl")
	src, err := os.ReadFile(seed)
	if err != nil {
		t.Fatal(err)
	}
	// The seed gives both real servers weight 3; the change gives 10.10.10.32 weight 1.
	const block = `real_server "10.10.10.32:80" {`
	i := strings.Index(string(src), block)
	if i < 0 || !strings.Contains(string(src[i:]), "weight = 3") {
		t.Fatalf("%s has no %s block with weight = 3", seed, block)
	}
	changed := string(src[:i]) + strings.Replace(string(src[i:]), "weight = 3", "weight = 1", 1)
	changedPath := t.TempDir() + "/director-a-changed.hcl"
	if err := os.WriteFile(changedPath, []byte(changed), 0o644); err != nil {
		t.Fatal(err)
	}

	clearIPVS(t, dirA)
	halvsIPVS(t, "-c", seed)
	holdVIP(t, dirA)

	wantOp := fmt.Sprintf("-e -t %s:80 -r %s:80 -g -w 1", vip, rs2.addr)
	ops := dryRun(t, changedPath)
	if len(ops) != 1 || ops[0] != wantOp {
		t.Errorf("dry run of the weight change plans:\n%s\nwant the one operation %q", strings.Join(ops, "\n"), wantOp)
	}

	tr := startTraffic(t, 2000)
	tr.waitRequests(t, 10)
	before := tr.soFar()
	t.Logf("halvs ipvs -c (weight of %s 3 -> 1) after %v:\n%s", rs2.addr, before, halvsIPVS(t, "-c", changedPath))
	tr.waitRequests(t, 10)
	got := tr.stop(t)
	t.Logf("client requests in all: %v", got)
	if got["FAIL"] != 0 || got["rs1"] == 0 || got["rs2"] == 0 {
		t.Errorf("client requests across the change: %v, want both real servers and no failure", got)
	}

	want := map[string]dest{
		fmt.Sprintf("TCP %s:80 -> %s:80", vip, rs1.addr): {Forward: "Route", Weight: 3},
		fmt.Sprintf("TCP %s:80 -> %s:80", vip, rs2.addr): {Forward: "Route", Weight: 1},
	}
	if diff := cmpDests(want, ipvsDests(t, dirA.ns)); diff != "" {
		t.Errorf("table after the change (-want +got):\n%s", diff)
	}
	if ops := dryRun(t, changedPath); len(ops) != 0 {
		t.Errorf("after applying the change, a dry run still plans:\n%s", strings.Join(ops, "\n"))
	}
}
