package testutil

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// SleepCopy copies /bin/sleep to a name no other process has (prefix and this process's
// PID, cut to the 15 bytes of a process name), so that a test watching processes by name
// counts its own only. It skips the test when there is no /bin/sleep.
func SleepCopy(t *testing.T, prefix string) (path, name string) {
	t.Helper()
	name = fmt.Sprintf("%s%d", prefix, os.Getpid())
	if len(name) > 15 {
		name = name[:15]
	}
	src, err := os.Open("/bin/sleep")
	if err != nil {
		t.Skipf("no /bin/sleep: %v", err)
	}
	defer src.Close()
	path = filepath.Join(t.TempDir(), name)
	dst, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY, 0o755)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(dst, src); err != nil {
		t.Fatal(err)
	}
	if err := dst.Close(); err != nil {
		t.Fatal(err)
	}
	return path, name
}
