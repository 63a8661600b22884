//go:build vmtest

package vm

import (
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// The reference configurations, each a halvs HCL file and its keepalived twin. keepalived's
// table from the twin is what halvs must program from the HCL, byte for byte in `ipvsadm -Ln`.
type refConfig struct {
	name      string
	hcl       string // relative to the repository root
	keepalive string
}

func refConfigs() []refConfig {
	return []refConfig{
		{name: "seed", hcl: "examples/seed/director-a.hcl", keepalive: "examples/seed/keepalived.conf"},
		{name: "mixed", hcl: "integration/vm/testdata/mixed.hcl", keepalive: "integration/vm/testdata/mixed.keepalived.conf"},
	}
}

// repoPath makes a repository-relative path absolute. Test binaries run in their package
// directory (integration/vm) in the guest's copy of the repository, as under go test.
func repoPath(rel string) string {
	p, err := filepath.Abs(filepath.Join("..", "..", rel))
	if err != nil {
		panic(err)
	}
	return p
}

// keepalivedTables memoises keepalivedTable by config file: one keepalived run per file.
var keepalivedTables = map[string]string{}

// keepalivedTable runs the real keepalived's checker process alone (-C: no VRRP) on director A
// with conf, waits until the IPVS table it programs holds still, and returns `ipvsadm -Ln`.
// keepalived removes its services when it stops, which leaves the table empty for halvs.
func keepalivedTable(t *testing.T, conf string) string {
	t.Helper()
	if table, ok := keepalivedTables[conf]; ok {
		return table
	}
	if out := ipvsList(t, dirA.ns); hasService(out) {
		t.Fatalf("director A's table is not empty before keepalived starts:\n%s", out)
	}
	dir := t.TempDir()
	syslog := captureSyslog(t)
	cmd := exec.Command("ip", "netns", "exec", dirA.ns, "keepalived", "-C", "-n",
		"-f", repoPath(conf), "-p", filepath.Join(dir, "keepalived.pid"),
		"-c", filepath.Join(dir, "checkers.pid"))
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	stopped := false
	stop := func() {
		if stopped {
			return
		}
		stopped = true
		// ip netns exec execs keepalived, so this is keepalived's parent process; on SIGTERM
		// it stops the checker child, which removes the services it added.
		cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			cmd.Process.Kill()
			<-done
			t.Errorf("keepalived did not stop within 30s of SIGTERM")
		}
	}
	defer stop()

	table := settledTable(t, dirA.ns)
	stop()
	if !hasService(table) {
		t.Fatalf("keepalived -C -f %s programmed no service; its log:\n%s", conf, syslog())
	}
	if out := ipvsList(t, dirA.ns); hasService(out) {
		t.Errorf("keepalived left services behind on stop:\n%s", out)
		nsRun(t, dirA.ns, "ipvsadm -C")
	}
	keepalivedTables[conf] = table
	return table
}

// settledTable polls `ipvsadm -Ln` in ns (inside the namespace: entering one per poll costs
// too much under emulation) until it holds at least one service and has not changed for 1 s,
// and returns it. It gives up after 100 polls (about 30 s) and returns the last table.
func settledTable(t *testing.T, ns string) string {
	t.Helper()
	return nsRun(t, ns, settleScript("ipvsadm -Ln", ` -E '^(TCP|UDP|SCTP|FWM) '`))
}

// settleScript is the shell loop of settledTable: it runs list every 0.2 s until its output
// matches `grep -q` grepArgs (which starts with a space) and has not changed for 5 polls, at
// most 100 polls, then prints it.
func settleScript(list, grepArgs string) string {
	return `
prev=""; same=0; i=0
while [ $i -lt 100 ]; do
  i=$((i+1))
  cur=$(` + list + `)
  if [ "$cur" = "$prev" ] && echo "$cur" | grep -q` + grepArgs + `; then
    same=$((same+1)); [ $same -ge 5 ] && break
  else
    same=0
  fi
  prev=$cur
  sleep 0.2
done
echo "$cur"`
}

func hasService(table string) bool {
	for _, line := range strings.Split(table, "\n") {
		for _, p := range []string{"TCP ", "UDP ", "SCTP ", "FWM "} {
			if strings.HasPrefix(line, p) {
				return true
			}
		}
	}
	return false
}

// TestKeepalivedReference runs keepalived on each reference configuration and checks that
// its table is the one the configuration describes, so that the halvs comparisons below
// compare against something known to be right.
func TestKeepalivedReference(t *testing.T) {
	lab(t)
	want := map[string]map[string]dest{
		"seed": {
			"TCP 10.10.10.22:80 -> 10.10.10.31:80": {Forward: "Route", Weight: 3},
			"TCP 10.10.10.22:80 -> 10.10.10.32:80": {Forward: "Route", Weight: 3},
		},
		"mixed": {
			"TCP 10.10.10.23:8080 -> 10.10.10.31:80": {Forward: "Masq", Weight: 1},
			"TCP 10.10.10.23:8080 -> 10.10.10.32:80": {Forward: "Masq", Weight: 2},
			"TCP 10.10.10.24:80 -> 10.10.10.31:80":   {Forward: "Tunnel", Weight: 5},
			"TCP 10.10.10.24:80 -> 10.10.10.32:80":   {Forward: "Tunnel", Weight: 4},
			"UDP 10.10.10.22:53 -> 10.10.10.31:53":   {Forward: "Route", Weight: 1},
			"UDP 10.10.10.22:53 -> 10.10.10.32:53":   {Forward: "Route", Weight: 1},
			"FWM 7 -> 10.10.10.31:0":                 {Forward: "Route", Weight: 2},
			"FWM 7 -> 10.10.10.32:0":                 {Forward: "Route", Weight: 2},
		},
	}
	for _, rc := range refConfigs() {
		t.Run(rc.name, func(t *testing.T) {
			table := keepalivedTable(t, rc.keepalive)
			t.Logf("keepalived -C -f %s programs:\n%s", rc.keepalive, table)
			got := parseDests(t, table)
			if diff := cmpDests(want[rc.name], got); diff != "" {
				t.Errorf("keepalived's table (-want +got):\n%s", diff)
			}
		})
	}
}

// cmpDests compares destinations by forwarding method and weight (not connection counts),
// as cmp.Diff does: "" when equal, else a (-want +got) report.
func cmpDests(want, got map[string]dest) string {
	strip := func(m map[string]dest) map[string]dest {
		out := map[string]dest{}
		for k, d := range m {
			out[k] = dest{Forward: d.Forward, Weight: d.Weight}
		}
		return out
	}
	return cmp.Diff(strip(want), strip(got))
}
