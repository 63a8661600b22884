package track

import (
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestParseValue(t *testing.T) {
	tests := []struct {
		name, in string
		want     int
		wantErr  bool
	}{
		{name: "plain", in: "5\n", want: 5},
		{name: "blanks and sign", in: "  \t-20 apples", want: -20},
		{name: "plus", in: "+7", want: 7},
		{name: "hex", in: "0x1f", want: 31},
		{name: "octal", in: "010", want: 8},
		{name: "zero", in: "0", want: 0},
		{name: "not a number is 0", in: "drain", want: 0},
		{name: "empty is 0", in: "", want: 0},
		{name: "0x without digits is 0", in: "0xg", want: 0},
		{name: "largest int", in: "2147483647", want: 2147483647},
		{name: "smallest int", in: "-2147483648", want: -2147483648},
		{name: "above int is invalid", in: "2147483648", wantErr: true},
		{name: "far too large is invalid", in: "99999999999999999999999", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseValue(tt.in)
			if (err != nil) != tt.wantErr || tt.wantErr && !errors.Is(err, ErrInvalidValue) {
				t.Fatalf("ParseValue(%q) error %v, want error %v", tt.in, err, tt.wantErr)
			}
			if got != tt.want {
				t.Errorf("ParseValue(%q) = %d, want %d", tt.in, got, tt.want)
			}
		})
	}
}

func TestReadFileMissingIsZero(t *testing.T) {
	v, err := ReadFile(filepath.Join(t.TempDir(), "absent"))
	if v != 0 || err != nil {
		t.Errorf("ReadFile(absent) = %d, %v; want 0, nil", v, err)
	}
}

// reports collects a FileWatcher's reports.
type reports struct {
	mu  sync.Mutex
	got map[string][]int
	ch  chan struct{}
}

func newReports() *reports { return &reports{got: map[string][]int{}, ch: make(chan struct{}, 100)} }

func (r *reports) report(name string, v int) {
	r.mu.Lock()
	r.got[name] = append(r.got[name], v)
	r.mu.Unlock()
	r.ch <- struct{}{}
}

// waitLast waits until name's last report is want.
func (r *reports) waitLast(t *testing.T, name string, want int) {
	t.Helper()
	deadline := time.After(5 * time.Second)
	for {
		r.mu.Lock()
		vs := r.got[name]
		r.mu.Unlock()
		if len(vs) > 0 && vs[len(vs)-1] == want {
			return
		}
		select {
		case <-r.ch:
		case <-deadline:
			t.Fatalf("%s: reports %v, want the last to be %d", name, vs, want)
		}
	}
}

func TestWatchFiles(t *testing.T) {
	dir := t.TempDir()
	drain := filepath.Join(dir, "drain")
	other := filepath.Join(dir, "other")
	if err := os.WriteFile(drain, []byte("3\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r := newReports()
	w, err := WatchFiles([]FileSpec{{Name: "drain", Path: drain}, {Name: "other", Path: other}}, nil, r.report)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.Close)
	r.waitLast(t, "drain", 3)
	r.waitLast(t, "other", 0) // missing: 0

	write := func(path, s string) {
		t.Helper()
		if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(drain, "50\n")
	r.waitLast(t, "drain", 50)
	write(other, "-7")
	r.waitLast(t, "other", -7)

	// Renamed into place (an atomic write).
	tmp := filepath.Join(dir, ".drain.tmp")
	write(tmp, "9")
	if err := os.Rename(tmp, drain); err != nil {
		t.Fatal(err)
	}
	r.waitLast(t, "drain", 9)

	// An invalid number keeps the last value; the next valid one is reported. Both are
	// renamed into place: a second write truncating the file before the first's event is
	// read would read as empty, 0 (keepalived reads the same way).
	for _, v := range []string{"99999999999", "11"} {
		write(tmp, v)
		if err := os.Rename(tmp, drain); err != nil {
			t.Fatal(err)
		}
	}
	r.waitLast(t, "drain", 11)
	r.mu.Lock()
	got := r.got["drain"]
	r.mu.Unlock()
	if diff := cmp.Diff([]int{3, 50, 9, 11}, got); diff != "" {
		t.Errorf("drain reports (-want +got):\n%s", diff)
	}

	if err := os.Remove(drain); err != nil {
		t.Fatal(err)
	}
	r.waitLast(t, "drain", 0)
	if diff := cmp.Diff(map[string]int{"drain": 0, "other": -7}, w.Values()); diff != "" {
		t.Errorf("Values (-want +got):\n%s", diff)
	}
}

func TestWatchFilesNoDirectory(t *testing.T) {
	_, err := WatchFiles([]FileSpec{{Name: "x", Path: filepath.Join(t.TempDir(), "nodir", "x")}}, nil, func(string, int) {})
	if err == nil {
		t.Fatal("a file in a directory that does not exist was watched")
	}
}
