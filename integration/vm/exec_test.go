//go:build vmtest

package vm

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// requireVM skips a test outside a kernel with IPVS (a host run of `go test -tags vmtest`), but
// fails it inside the VM (init.sh sets HALVS_VM=1), where a missing IPVS is a broken image.
func requireVM(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root: run through make vm-test")
	}
	if _, err := os.Stat("/proc/net/ip_vs"); err != nil {
		if os.Getenv("HALVS_VM") != "" {
			t.Fatalf("inside the VM without IPVS: %v", err)
		}
		t.Skip("this kernel has no IPVS: run through make vm-test")
	}
}

// runErr runs a command and returns its combined output and error.
func runErr(name string, args ...string) (string, error) {
	var out bytes.Buffer
	cmd := exec.Command(name, args...)
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	if err != nil {
		err = fmt.Errorf("%s %s: %w\n%s", name, strings.Join(args, " "), err, out.String())
	}
	return out.String(), err
}

// run runs a command and fails the test if it fails.
func run(t *testing.T, name string, args ...string) string {
	t.Helper()
	out, err := runErr(name, args...)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// nsRun runs a shell script inside network namespace ns. Entering a namespace costs a process
// start under emulation (~100 ms), so callers batch work, loops included, into one script.
func nsRun(t *testing.T, ns, script string) string {
	t.Helper()
	out, err := nsRunErr(ns, script)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func nsRunErr(ns, script string) (string, error) {
	return runErr("ip", "netns", "exec", ns, "sh", "-ec", shPrelude+script)
}

// shPrelude starts every script. Debian's busybox sh runs its own applets before searching
// PATH, and its ip applet lacks netns and veth: the function sends ip to iproute2.
const shPrelude = "ip() { /usr/sbin/ip \"$@\"; }\n"
