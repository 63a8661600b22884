package keepalivedconf

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestCountBraces: countBraces agrees with expandBraces, and stops at the limit.
func TestCountBraces(t *testing.T) {
	for _, s := range []string{
		"", "a", "{a,b}", "x{a,b}y", "{a,b}{c,d,e}", "{a,{b,c}}{d,e}", "{a}", "{,}", "{a,b",
		"a{b,c}d{e", `\{a,b}`, `{a\,b,c}`, "{{a,b},{c,d}}{e,f}", "a{b,c{d,e}f}g{h,i}", "}{a,b}{",
	} {
		if got, want := countBraces(s, 1000), len(expandBraces(s)); got != want {
			t.Errorf("countBraces(%q) = %d, want %d (len(expandBraces))", s, got, want)
		}
	}
	if got := countBraces(strings.Repeat("{a,b}", 60), 10_000); got != 10_001 {
		t.Errorf("60 pairs: %d, want the limit + 1", got)
	}
}

// FuzzCountBraces: for any pattern short enough to expand, the count is the expansion's.
func FuzzCountBraces(f *testing.F) {
	for _, s := range []string{"{a,b}{c,d}", "a{b,{c,d}}e", `\{,}`, "{{{,}"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if len(s) > 40 || countBraces(s, 10_000) > 10_000 {
			return
		}
		if got, want := countBraces(s, 10_000), len(expandBraces(s)); got != want {
			t.Fatalf("countBraces(%q) = %d, want %d", s, got, want)
		}
	})
}

// TestIncludeLimits: what used to take gigabytes or forever is refused at once, by name.
func TestIncludeLimits(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) string {
		t.Helper()
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	fifo := filepath.Join(dir, "fifo.conf")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	// 140 bytes that doubled the patterns 28 times.
	braces := write("braces.conf", "include "+strings.Repeat("{a,b}", 26)+"\n")
	if fi, err := os.Stat(braces); err != nil || fi.Size() > 140 {
		t.Fatal("the reproduction is meant to be 140 bytes")
	}
	if err := os.Mkdir(filepath.Join(dir, "many"), 0o755); err != nil {
		t.Fatal(err)
	}
	for i := range 1001 {
		write(filepath.Join("many", strings.Repeat("x", 1+i%7)+string(rune('a'+i%26))+strings.Repeat("0", i/182)+".conf"), "")
	}
	big := write("big.conf", strings.Repeat("# padding\n", 101))
	tests := []struct {
		name string
		path string
		opts *Options
		want string // the first diagnostic
	}{
		{"brace expansion", braces, nil,
			braces + ":1: error: include " + strings.Repeat("{a,b}", 26) + " expands to more than 10000 patterns; name fewer alternatives"},
		{"include /dev/zero", write("zero.conf", "include /dev/zero\n"), nil,
			dir + "/zero.conf:1: error: include /dev/zero: not a regular file (a character device)"},
		{"include a FIFO", write("fifo-inc.conf", "include fifo.conf\n"), nil,
			dir + "/fifo-inc.conf:1: error: include " + fifo + ": not a regular file (a FIFO)"},
		{"the file itself is a FIFO", fifo, nil, fifo + ": error: not a regular file (a FIFO)"},
		{"/dev/zero itself", "/dev/zero", nil, "/dev/zero: error: not a regular file (a character device)"},
		{"too many files", write("many.conf", "include many/*.conf\n"), nil,
			dir + "/many.conf:1: error: include many/*.conf matches more than 1000 files"},
		{"an included file too large", write("inc-big.conf", "include big.conf\n"), &Options{MaxFileSize: 1000},
			dir + "/inc-big.conf:1: error: include " + big + ": file too large: more than 1000 bytes"},
		{"the file itself too large", big, &Options{MaxFileSize: 1000}, big + ": error: file too large: more than 1000 bytes"},
		{"too large together", write("twice.conf", "include big.conf\ninclude big.conf\n"), &Options{MaxTotalSize: 2000},
			dir + "/twice.conf:2: error: include " + big + ": the files read, includes included, are too large together: more than 2000 bytes"},
		{"a file including itself twice", write("self.conf", "include self.conf\ninclude self.conf\n"), nil,
			dir + "/self.conf:1: error: includes nest deeper than 32 files"},
		{"a pattern longer than keepalived reads", write("long.conf", "include "+strings.Repeat("a", 1100)+"\n"), nil,
			dir + "/long.conf:1: error: include pattern longer than keepalived's limit of 1023 characters"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			done := make(chan Diagnostics, 1)
			go func() {
				_, diags := ReadFile(tt.path, tt.opts)
				done <- diags
			}()
			var diags Diagnostics
			select {
			case diags = <-done:
			case <-time.After(10 * time.Second):
				t.Fatalf("ReadFile(%s) still running after 10 s", tt.path)
			}
			if !diags.HasErrors() {
				t.Fatalf("no error; diagnostics:\n%v", diags.Error())
			}
			var first string
			for _, d := range diags {
				if d.Severity == Error {
					first = d.String()
					break
				}
			}
			if !strings.HasPrefix(first, tt.want) {
				t.Errorf("first error (-want +got):\n%s", cmp.Diff(tt.want, first))
			}
		})
	}
}
