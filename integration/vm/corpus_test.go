//go:build vmtest

package vm

import (
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// corpusDir is the keepalived.conf corpus of issue 13 (cmd/halvs/corpus_test.go converts and
// checks it in make test); image.sh copies it into the guest's repository.
const corpusDir = "config/keepalivedconf/testdata/corpus"

// checkerBlocks are keepalived's real-server checkers. The corpus' checkers probe addresses
// nobody serves here, so keepalived would take real servers out while the test reads its
// table; without checkers both keepalived and halvs keep every real server in, for good.
var checkerBlocks = map[string]bool{
	"TCP_CHECK": true, "HTTP_GET": true, "SSL_GET": true, "MISC_CHECK": true,
	"SMTP_CHECK": true, "DNS_CHECK": true, "UDP_CHECK": true, "PING_CHECK": true,
	"FILE_CHECK": true, "BFD_CHECK": true,
}

// stripCheckers returns keepalived.conf text without its checker blocks and without `alpha`
// (which starts real servers down until a checker passes): the table then depends on the
// configuration alone. Braces in comments ('!' or '#' to the end of the line) are ignored.
// With noSIP it also drops `persistence_engine` lines: IPVS looks the engine up as module
// ip_vs_pe_sip, which the image leaves out (image.sh), so neither program could add the service.
func stripCheckers(src string, noSIP bool) string {
	lines := strings.SplitAfter(src, "\n")
	var out strings.Builder
	depth := 0 // inside a checker block being dropped when > 0
	for _, line := range lines {
		code := line
		if i := strings.IndexAny(code, "!#"); i >= 0 {
			code = code[:i]
		}
		if depth == 0 {
			f := strings.Fields(strings.ReplaceAll(code, "{", " { "))
			if len(f) > 0 && (f[0] == "alpha" || noSIP && f[0] == "persistence_engine") {
				continue
			}
			if len(f) == 0 || !checkerBlocks[f[0]] {
				out.WriteString(line)
				continue
			}
		}
		depth += strings.Count(code, "{")
		depth -= strings.Count(code, "}")
		if depth < 0 {
			depth = 0
		}
	}
	return out.String()
}

// copyCorpusStripped copies the corpus tree (includes and all) to a new directory with
// stripCheckers applied to every .conf file, and returns that directory.
func copyCorpusStripped(t *testing.T) string {
	t.Helper()
	release, err := os.ReadFile("/proc/sys/kernel/osrelease")
	if err != nil {
		t.Fatal(err)
	}
	sipModule := filepath.Join("/lib/modules", strings.TrimSpace(string(release)), "ip_vs_pe_sip.ko")
	_, err = os.Stat(sipModule)
	noSIP := err != nil
	if noSIP {
		t.Logf("no %s in this image: persistence_engine lines are left out of the comparison", sipModule)
	}
	src, dst := repoPath(corpusDir), t.TempDir()
	err = filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		if !strings.HasSuffix(path, ".conf") {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), []byte(stripCheckers(string(b), noSIP)), 0o644)
	})
	if err != nil {
		t.Fatalf("copying the corpus %s: %v", src, err)
	}
	return dst
}

// corpusNS makes a fresh namespace with the corpus' interfaces (eth0, eth1: dummies, up),
// removed when the test ends.
func corpusNS(t *testing.T, name string) string {
	t.Helper()
	ns := nsPrefix + name
	run(t, "ip", "netns", "add", ns)
	t.Cleanup(func() { runErr("ip", "netns", "del", ns) })
	nsRun(t, ns, "ip link set lo up; ip link add eth0 type dummy; ip link add eth1 type dummy; "+
		"ip link set eth0 up; ip link set eth1 up")
	return ns
}

// timeoutCmd prints IPVS' connection timeouts (lvs_timeouts), which `ipvsadm -Sn` leaves out.
const timeoutCmd = "ipvsadm -L --timeout"

// savedTable is the output of `ipvsadm -Sn` (and timeoutCmd) as sorted lines: services and
// real servers in ipvsadm's own notation, whatever order the kernel lists them in.
func savedTable(out string) []string {
	var lines []string
	for _, line := range strings.Split(out, "\n") {
		if line = strings.Join(strings.Fields(line), " "); line != "" {
			lines = append(lines, line)
		}
	}
	sort.Strings(lines)
	return lines
}

// keepalivedSaved runs keepalived's checker process alone on conf in a fresh namespace, waits
// until `ipvsadm -Sn` there has held still for 1 s with at least one service, and returns it.
func keepalivedSaved(t *testing.T, conf string) []string {
	t.Helper()
	ns := corpusNS(t, "cka")
	dir := t.TempDir()
	syslog := captureSyslog(t)
	cmd := exec.Command("ip", "netns", "exec", ns, "keepalived", "-C", "-n", "-l",
		"-f", conf, "-p", filepath.Join(dir, "keepalived.pid"), "-c", filepath.Join(dir, "checkers.pid"))
	cmd.Dir = filepath.Dir(conf)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
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
	}()
	out := nsRun(t, ns, settleScript("ipvsadm -Sn", ` '^-A '`)+"\n"+timeoutCmd)
	table := savedTable(out)
	if len(table) == 0 {
		t.Fatalf("keepalived -C -f %s programmed no service; its log:\n%s", conf, syslog())
	}
	return table
}

// corpusDryRun is `halvs ipvs --dry-run -c hcl` in ns: its operations in ipvsadm's notation,
// sorted, without log lines and summaries.
func corpusDryRun(t *testing.T, ns, hcl string) []string {
	t.Helper()
	var ops []string
	for _, line := range strings.Split(nsRun(t, ns, halvsBin()+" ipvs --dry-run -c "+hcl), "\n") {
		line = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(line), "ipvsadm "))
		if strings.HasPrefix(line, "-") {
			ops = append(ops, strings.Join(strings.Fields(line), " "))
		}
	}
	sort.Strings(ops)
	return ops
}

// TestCorpusTables: for each keepalived.conf of the corpus with virtual servers (its
// checkers stripped), `halvs ipvs -c` on its conversion programs the same IPVS table (as
// `ipvsadm -Sn` prints it) and connection timeouts as keepalived -C does from the file
// itself, and a dry run right after plans nothing.
func TestCorpusTables(t *testing.T) {
	requireVM(t)
	if _, err := exec.LookPath("keepalived"); err != nil {
		t.Fatalf("keepalived is not in the image: %v", err)
	}
	dir := copyCorpusStripped(t)
	confs, err := filepath.Glob(filepath.Join(dir, "*.conf"))
	if err != nil || len(confs) == 0 {
		t.Fatalf("no corpus files in %s (%v): image.sh copies %s into the guest", dir, err, corpusDir)
	}
	compared := 0
	for _, conf := range confs {
		name := strings.TrimSuffix(filepath.Base(conf), ".conf")
		t.Run(name, func(t *testing.T) {
			// --allow-loss: the losses left after stripping (lvs_flush, mcast_src_ip, use_vmac,
			// bfd_instance in 13-losses) do not change the table of a fresh namespace.
			cmd := exec.Command(halvsBin(), "convert", "--allow-loss", conf)
			cmd.Dir = dir
			var stderr strings.Builder
			cmd.Stderr = &stderr
			hclText, err := cmd.Output()
			if err != nil {
				t.Fatalf("halvs convert --allow-loss %s: %v\n%s", conf, err, stderr.String())
			}
			if !strings.Contains(string(hclText), "virtual_server") {
				t.Skipf("%s has no virtual server", name)
			}
			hcl := filepath.Join(t.TempDir(), name+".hcl")
			if err := os.WriteFile(hcl, hclText, 0o644); err != nil {
				t.Fatal(err)
			}

			want := keepalivedSaved(t, conf)
			ns := corpusNS(t, "chv")
			applied := nsRun(t, ns, halvsBin()+" ipvs -c "+hcl)
			got := savedTable(nsRun(t, ns, "ipvsadm -Sn; "+timeoutCmd))
			if ops := corpusDryRun(t, ns, hcl); len(ops) != 0 {
				t.Errorf("a dry run right after applying plans %d operations, want none:\n%s", len(ops), strings.Join(ops, "\n"))
			}
			t.Logf("%d lines of ipvsadm -Sn compared", len(want))
			known := knownTableDifferences()[name]
			wantDiff := tableDifference{OnlyKeepalived: known.OnlyKeepalived, OnlyHalvs: known.OnlyHalvs}
			gotDiff := tableDifference{OnlyKeepalived: minus(want, got), OnlyHalvs: minus(got, want)}
			if diff := cmp.Diff(wantDiff, gotDiff, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("ipvsadm -Sn: keepalived -C on %s (checkers stripped) vs halvs ipvs -c on its conversion:\n%s\n"+
					"the lines only one of them programs, (-known +now) (known: %s):\n%s\nhalvs ipvs said:\n%s\nconversion:\n%s",
					name, cmp.Diff(want, got), orNone(known.Why), diff, applied, hclText)
			} else if known.Why != "" {
				t.Logf("known difference, as listed: %s", known.Why)
			}
			compared++
		})
	}
	if compared < 7 {
		t.Errorf("compared %d corpus files with virtual servers, want at least 7", compared)
	}
}

// tableDifference is how the two tables of one corpus file differ: the lines of `ipvsadm -Sn`
// only keepalived programs and those only halvs programs.
type tableDifference struct {
	Why                       string
	OnlyKeepalived, OnlyHalvs []string
}

// knownTableDifferences are the differences found and not yet fixed, by corpus file, each
// with its cause. The test asserts them exactly: a new difference fails it, and so does a
// fix, so that the entry goes when the cause does.
func knownTableDifferences() map[string]tableDifference {
	return map[string]tableDifference{}
}

// minus returns the sorted lines of a that b lacks.
func minus(a, b []string) []string {
	in := map[string]bool{}
	for _, l := range b {
		in[l] = true
	}
	var out []string
	for _, l := range a {
		if !in[l] {
			out = append(out, l)
		}
	}
	sort.Strings(out)
	return out
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}
