package lvs

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestSetSysctl(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "sloppy_tcp"), []byte("0\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := setSysctl(dir, "sloppy_tcp", "1"); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(filepath.Join(dir, "sloppy_tcp"))
	if diff := cmp.Diff("1\n", string(b)); diff != "" {
		t.Errorf("sloppy_tcp (-want +got):\n%s", diff)
	}
	for _, bad := range []string{"", "../x", "a.b"} {
		if err := setSysctl(dir, bad, "1"); err == nil {
			t.Errorf("setSysctl(%q) wrote nothing and said nothing", bad)
		}
	}
	if err := setSysctl(dir, "absent_dir/x", "1"); err == nil {
		t.Error("a bad name went through")
	}
}

func TestConnCount(t *testing.T) {
	tests := []struct {
		name string
		text string
		want int
	}{
		{"empty table", "Pro FromIP   FPrt ToIP     TPrt DestIP   DPrt State       Expires PEName PEData\n", 0},
		{"two entries", "Pro FromIP   FPrt ToIP     TPrt DestIP   DPrt State       Expires PEName PEData\n" +
			"TCP 0A0A0A64 A1B2 0A0A0A16 0050 0A0A0A1F 0050 ESTABLISHED     899\n" +
			"TCP 0A0A0A64 A1B4 0A0A0A16 0007 0A0A0A20 0007 ESTABLISHED     12\n", 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "ip_vs_conn")
			if err := os.WriteFile(p, []byte(tt.text), 0o644); err != nil {
				t.Fatal(err)
			}
			got, err := connCount(p)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("connCount = %d, want %d", got, tt.want)
			}
		})
	}
	if _, err := connCount(filepath.Join(t.TempDir(), "none")); err == nil {
		t.Error("a missing table gave no error")
	}
}
