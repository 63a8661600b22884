//go:build integration

package integration

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// MemIPVSBinary builds halvs with -tags halvs_memipvs (an in-memory IPVS table: this host's
// kernel has none, and the tests that load virtual servers need health and quorum running for
// real) into the test's directory; $HALVS_MEMIPVS_BIN names one already built. The build cache
// makes all but the first build quick.
func MemIPVSBinary(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("HALVS_MEMIPVS_BIN"); p != "" {
		return p
	}
	bin := filepath.Join(t.TempDir(), "halvs")
	cmd := exec.Command("go", "build", "-tags", "halvs_memipvs", "-o", bin, "./cmd/halvs")
	cmd.Dir = ".."
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build -tags halvs_memipvs: %v\n%s", err, out)
	}
	return bin
}
