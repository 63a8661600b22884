package healthcheck

import (
	"net/netip"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestFileCheck(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "missing")
	tests := []struct {
		name       string
		content    *string // nil: no file
		spec       FileSpec
		wantOK     bool
		wantOffset int
	}{
		{name: "zero passes", content: ptr("0\n"), wantOK: true},
		{name: "non-zero fails", content: ptr("1\n"), wantOK: false},
		{name: "missing file is 0", wantOK: true},
		{name: "empty file is 0", content: ptr(""), wantOK: true},
		{name: "garbage is 0", content: ptr("up\n"), wantOK: true},
		{name: "reverse: zero fails", content: ptr("0"), spec: FileSpec{Reverse: true}, wantOK: false},
		{name: "reverse: non-zero passes", content: ptr("7"), spec: FileSpec{Reverse: true}, wantOK: true},
		{name: "weight multiplies", content: ptr("  5 trailing"), spec: FileSpec{Weight: 2}, wantOK: true, wantOffset: 10},
		{name: "negative value lowers", content: ptr("-3"), spec: FileSpec{Weight: 1}, wantOK: true, wantOffset: -3},
		{name: "hex like strtol", content: ptr("0x10"), spec: FileSpec{Weight: 1}, wantOK: true, wantOffset: 16},
		{name: "octal like strtol", content: ptr("010"), spec: FileSpec{Weight: 1}, wantOK: true, wantOffset: 8},
		{name: "reverse weight", content: ptr("4"), spec: FileSpec{Weight: 3, Reverse: true}, wantOK: true, wantOffset: -12},
		{name: "fault at -2^31", content: ptr("-2147483648"), spec: FileSpec{Weight: 1}, wantOK: false},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			spec := tt.spec
			spec.Path = missing
			if tt.content != nil {
				spec.Path = filepath.Join(dir, "f"+string(rune('a'+i)))
				if err := os.WriteFile(spec.Path, []byte(*tt.content), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			r := check(t, spec, netip.AddrPort{})
			if diff := cmp.Diff([]any{tt.wantOK, tt.wantOffset}, []any{r.OK, r.WeightOffset}); diff != "" {
				t.Errorf("OK, offset (-want +got):\n%s (err %v)", diff, r.Err)
			}
		})
	}
}

// TestFileCheckKeepsLastOnInvalid: a number out of range is ignored, as keepalived logs and keeps
// the previous value.
func TestFileCheckKeepsLastOnInvalid(t *testing.T) {
	path := filepath.Join(t.TempDir(), "weight")
	c, err := NewChecker(FileSpec{Path: path, Weight: 1}, netip.AddrPort{}, DefaultTiming(KindFile))
	if err != nil {
		t.Fatal(err)
	}
	for _, step := range []struct {
		content string
		want    int
	}{{"5", 5}, {"99999999999", 5}, {"6", 6}} {
		os.WriteFile(path, []byte(step.content), 0o644)
		if r := c.Check(t.Context()); !r.OK || r.WeightOffset != step.want {
			t.Errorf("after %q: OK %v offset %d, want offset %d", step.content, r.OK, r.WeightOffset, step.want)
		}
	}
}

func ptr(s string) *string { return &s }
