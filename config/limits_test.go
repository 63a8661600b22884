package config_test

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/halvs/halvs/config"
)

// TestLoadRefusesSpecialFiles: only a regular file is read; a FIFO with no writer is
// refused at once instead of blocking the caller (a reload holding its lock) forever.
func TestLoadRefusesSpecialFiles(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "halvs.hcl")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link.hcl")
	if err := os.Symlink(fifo, link); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, path, want string
	}{
		{"FIFO", fifo, fifo + ": error: cannot read config: not a regular file (a FIFO)\n"},
		{"symlink to a FIFO", link, link + ": error: cannot read config: not a regular file (a FIFO)\n"},
		{"device", "/dev/zero", "/dev/zero: error: cannot read config: not a regular file (a character device)\n"},
		{"directory: its *.hcl files, each refused", dir, dir + ": error: include " + fifo + ": not a regular file (a FIFO)\n" +
			dir + ": error: include " + link + ": not a regular file (a FIFO)\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			done := make(chan config.Diagnostics, 1)
			go func() {
				cfg, diags := config.Load(tt.path)
				if cfg != nil {
					t.Errorf("a config from %s", tt.path)
				}
				done <- diags
			}()
			select {
			case diags := <-done:
				if diff := cmp.Diff(tt.want, diags.String()); diff != "" {
					t.Errorf("diagnostics (-want +got):\n%s", diff)
				}
			case <-time.After(time.Second):
				t.Fatalf("Load(%s) still blocked after a second", tt.path)
			}
		})
	}
}

func TestLoadSizeLimit(t *testing.T) {
	valid, err := os.ReadFile("../examples/seed/director-a.hcl")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "halvs.hcl")
	if err := os.WriteFile(path, valid, 0o644); err != nil {
		t.Fatal(err)
	}
	size := int64(len(valid))
	if _, diags := config.LoadWith(path, config.Limits{MaxSize: size}); diags.HasErrors() {
		t.Errorf("a file of exactly the limit refused:\n%s", diags)
	}
	_, diags := config.LoadWith(path, config.Limits{MaxSize: size - 1})
	want := fmt.Sprintf("%s: error: cannot read config: file too large: more than %d bytes (raise the limit with --max-config-size)\n", path, size-1)
	if diff := cmp.Diff(want, diags.String()); diff != "" {
		t.Errorf("one byte over the limit: diagnostics (-want +got):\n%s", diff)
	}
	big := filepath.Join(t.TempDir(), "big.hcl")
	if err := os.WriteFile(big, bytes.Repeat([]byte("# padding\n"), config.DefaultMaxSize/10+1), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, diags := config.Load(big); !strings.Contains(diags.String(), "file too large: more than 16777216 bytes") {
		t.Errorf("a file over the default limit: %s", diags)
	}
	if _, diags := config.LoadWith(big, config.Limits{MaxSize: 32 << 20}); diags.HasErrors() {
		t.Errorf("a raised limit still refuses the file:\n%s", diags)
	}
}

// loadChildEnv names the file the test binary loads when it runs as TestLoadNestedInChild's
// child: a stack overflow is fatal to the whole process, so it is looked for in another one.
const loadChildEnv = "HALVS_TEST_LOAD_CHILD"

// TestLoadNestedInChild: router_id = [[[[…]]]] 100,000 deep used to overflow the stack in
// hclsyntax's parser, a fatal error that no recover catches; it is an error now.
func TestLoadNestedInChild(t *testing.T) {
	if path := os.Getenv(loadChildEnv); path != "" {
		_, diags := config.Load(path)
		diags.Write(os.Stderr)
		if diags.HasErrors() {
			os.Exit(1)
		}
		os.Exit(0)
	}
	path := filepath.Join(t.TempDir(), "nested.hcl")
	src := "global {\n  router_id = " + strings.Repeat("[", 100_000) + strings.Repeat("]", 100_000) + "\n}\n"
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestLoadNestedInChild$")
	cmd.Env = append(os.Environ(), loadChildEnv+"="+path)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err := cmd.Run()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 1 {
		t.Fatalf("child: %v, want exit status 1; stderr:\n%.2000s", err, stderr.String())
	}
	want := path + ":2:78: error: nesting deeper than 64 levels of brackets"
	if !strings.HasPrefix(stderr.String(), want) {
		t.Errorf("child's stderr:\n%.2000s\nwant it to start %q", stderr.String(), want)
	}
}

func TestParseRefusesInvalidUTF8(t *testing.T) {
	tests := []struct {
		name, src, want string
	}{
		{"invalid byte", "global {\n  router_id = \"a\xffb\"\n}\n", "t.hcl:2:17: error: invalid UTF-8 (byte 0xff); a configuration must be UTF-8 text\n"},
		// hclsyntax's lexer takes C0 80 for a character and decodes it as U+FFFD.
		{"overlong encoding", "global {\n  router_id = \"\xc0\x80\"\n}\n", "t.hcl:2:16: error: invalid UTF-8 (byte 0xc0); a configuration must be UTF-8 text\n" +
			"t.hcl:2:17: error: invalid UTF-8 (byte 0x80); a configuration must be UTF-8 text\n"},
		{"in a comment", "# caf\xe9\nglobal {\n}\n", "t.hcl:1:6: error: invalid UTF-8 (byte 0xe9); a configuration must be UTF-8 text\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, diags := config.Parse([]byte(tt.src), "t.hcl")
			if cfg != nil {
				t.Errorf("a config, router_id %q", cfg.Global.RouterID)
			}
			if diff := cmp.Diff(tt.want, diags.String()); diff != "" {
				t.Errorf("diagnostics (-want +got):\n%s", diff)
			}
		})
	}
}

// TestParseCapsDiagnostics: the first 50 findings, then one line counting the rest.
func TestParseCapsDiagnostics(t *testing.T) {
	var b strings.Builder
	b.WriteString("global {\n")
	for i := range 300 {
		fmt.Fprintf(&b, "  bogus_%d = 1\n", i)
	}
	b.WriteString("}\n")
	_, diags := config.Parse([]byte(b.String()), "t.hcl")
	if got, want := len(diags), config.DefaultMaxErrors+1; got != want {
		t.Fatalf("%d diagnostics, want %d", got, want)
	}
	if got, want := diags[0].Range.Start.Line, 2; got != want {
		t.Errorf("first diagnostic on line %d, want %d: %s", got, want, diags[0])
	}
	if diff := cmp.Diff("t.hcl: error: and 250 more (only the first 50 are shown)", diags[len(diags)-1].String()); diff != "" {
		t.Errorf("last line (-want +got):\n%s", diff)
	}
	errs, warns := diags.Counts()
	if errs != 300 || warns != 0 {
		t.Errorf("Counts() = %d errors, %d warnings, want 300, 0", errs, warns)
	}
}

// TestLoadGarbageBounded: a file just under the size limit, full of what hclsyntax spends
// the most on, is refused with a capped list, without gigabytes of allocations.
func TestLoadGarbageBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("writes and reads 16 MB files")
	}
	for name, unit := range map[string]string{
		"invalid characters": "@",
		"punctuation":        ";",
		"a long list":        "1,",
		"broken attributes":  "x = = =\n",
	} {
		t.Run(name, func(t *testing.T) {
			n := (config.DefaultMaxSize - 16) / len(unit)
			src := "x = [" + strings.Repeat(unit, n)
			if unit == "x = = =\n" {
				src = strings.Repeat(unit, n)
			}
			path := filepath.Join(t.TempDir(), "garbage.hcl")
			if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
				t.Fatal(err)
			}
			runtime.GC()
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			cfg, diags := config.Load(path)
			runtime.ReadMemStats(&after)
			if cfg != nil || !diags.HasErrors() {
				t.Fatalf("garbage accepted")
			}
			if len(diags) > config.DefaultMaxErrors+2 {
				t.Errorf("%d diagnostics, want at most %d", len(diags), config.DefaultMaxErrors+2)
			}
			if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 10*uint64(len(src)) {
				t.Errorf("Load allocated %d MB for a %d MB file", alloc>>20, len(src)>>20)
			}
		})
	}
}
