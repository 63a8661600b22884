package main

import (
	"bytes"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/halvs/halvs/config"
	"github.com/halvs/halvs/config/configtest"
	"github.com/halvs/halvs/config/keepalivedconf"
)

var updateCorpus = flag.Bool("update-corpus", false, "rewrite the corpus' NAME.losses golden files")

// corpusDir holds keepalived.conf files of the kind operators keep: every block type,
// every checker halvs supports, groups, fwmark services, an include tree, and one with
// features halvs does not carry over.
const corpusDir = "../../config/keepalivedconf/testdata/corpus"

// TestCorpus: each keepalived.conf of the corpus is accepted by keepalived -t (when
// keepalived is installed and the test may make a network namespace with eth0 and eth1),
// converts with exit 0, or exit 1 with exactly the behavioural losses its NAME.losses
// lists, and the output passes halvs check. A file with includes also converts with -o
// into one HCL file per keepalived file, which loads to the single-file output's config.
func TestCorpus(t *testing.T) {
	inputs, err := filepath.Glob(filepath.Join(corpusDir, "*.conf"))
	if err != nil || len(inputs) < 12 {
		t.Fatalf("the corpus holds %d files, want at least 12 (%v)", len(inputs), err)
	}
	for _, in := range inputs {
		name := strings.TrimSuffix(filepath.Base(in), ".conf")
		t.Run(name, func(t *testing.T) {
			t.Run("keepalived -t", func(t *testing.T) { keepalivedAccepts(t, in) })
			code, stdout, stderr := runHalvs("convert", in)
			var losses []string
			for _, line := range strings.Split(stderr, "\n") {
				if strings.HasPrefix(line, in+":") && strings.Contains(line, ": error: ") {
					losses = append(losses, strings.TrimPrefix(line, corpusDir+"/"))
				}
			}
			golden := filepath.Join(corpusDir, name+".losses")
			if *updateCorpus {
				if len(losses) == 0 {
					os.Remove(golden)
				} else if err := os.WriteFile(golden, []byte(strings.Join(losses, "\n")+"\n"), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			var want []string
			if b, err := os.ReadFile(golden); err == nil {
				want = strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
			}
			if diff := cmp.Diff(want, losses); diff != "" {
				t.Errorf("behavioural losses (-want %s +got):\n%s", golden, diff)
			}
			wantCode := exitOK
			if len(want) > 0 {
				wantCode = exitFailure
			}
			if code != wantCode {
				t.Errorf("convert: exit %d, want %d; stderr:\n%s", code, wantCode, stderr)
			}
			if strings.Contains(stderr, "does not pass 'halvs check'") {
				t.Errorf("convert's output fails its check:\n%s", stderr)
			}
			out := filepath.Join(t.TempDir(), "halvs.hcl")
			if err := os.WriteFile(out, []byte(stdout), 0o644); err != nil {
				t.Fatal(err)
			}
			if code, checkOut, checkErr := runHalvs("check", "-c", out); code != exitOK {
				t.Errorf("halvs check on the output: exit %d\n%s%s\n%s", code, checkOut, checkErr, stdout)
			}
			convertsToFiles(t, in, stdout)
		})
	}
}

// keepalivedAccepts runs keepalived -t -f FILE in a network namespace of its own (unshare
// -n: it ends with the command) holding eth0 and eth1, the interfaces the corpus names.
func keepalivedAccepts(t *testing.T, file string) {
	t.Helper()
	ka, err := exec.LookPath("keepalived")
	if err != nil {
		t.Skip("keepalived is not installed (scripts/install-deps.sh installs it): keepalived -t not run")
	}
	if os.Geteuid() != 0 {
		t.Skip("not root: keepalived -t needs a network namespace with eth0 and eth1; not run")
	}
	for _, tool := range []string{"unshare", "ip"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s is not installed: keepalived -t not run", tool)
		}
	}
	abs, err := filepath.Abs(file)
	if err != nil {
		t.Fatal(err)
	}
	script := `ip link add eth0 type veth peer name eth1 && ip link set eth0 up && ip link set eth1 up && exec "$0" -t -f "$1"`
	cmd := exec.Command("unshare", "-n", "sh", "-c", script, ka, abs)
	cmd.Dir = filepath.Dir(abs)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		t.Errorf("keepalived -t -f %s: %v\n%s", file, err, out.String())
	}
}

// convertsToFiles checks, for a file with includes, that convert -o writes one HCL file
// per keepalived file and that they load to the config of flat, the single-file output.
func convertsToFiles(t *testing.T, in, flat string) {
	t.Helper()
	tree, diags := keepalivedconf.ReadTree(in, nil)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	if len(tree.Included) == 0 {
		return
	}
	dir := t.TempDir()
	code, _, stderr := runHalvs("convert", "--allow-loss", "-o", dir, in)
	if code != exitOK {
		t.Fatalf("convert -o: exit %d\n%s", code, stderr)
	}
	var written []string
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			written = append(written, p)
		}
		return nil
	})
	if want := 1 + len(tree.Included); len(written) != want {
		t.Errorf("convert -o wrote %d files, want %d (the main file and each included one): %q", len(written), want, written)
	}
	want, wdiags := config.Parse([]byte(flat), "flat.hcl")
	got, gdiags := config.Load(filepath.Join(dir, keepalivedconf.MainFile))
	if wdiags.HasErrors() || gdiags.HasErrors() {
		t.Fatalf("flat:\n%s\nfiles:\n%s", wdiags, gdiags)
	}
	if diff := cmp.Diff(want, got, configtest.IgnorePositions()); diff != "" {
		t.Errorf("convert -o loads to another config than convert (-want +got):\n%s", diff)
	}
	t.Logf("%s: %d HCL files", in, len(written))
}
