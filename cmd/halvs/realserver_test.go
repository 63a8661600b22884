package main

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/halvs/halvs/internal/netnstest"
	"github.com/halvs/halvs/realserver"
)

func TestRealserverUsage(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		code     int
		inStderr string
	}{
		{"no verb", nil, exitUsage, "Usage: halvs realserver up"},
		{"bad verb", []string{"sideways", "--vip", "10.0.0.1"}, exitUsage, "want up or down"},
		{"up without vip", []string{"up"}, exitUsage, "at least one --vip"},
		{"bad vip", []string{"up", "--vip", "10.0.0.300"}, exitUsage, "not an IP address"},
		{"loopback vip", []string{"up", "--vip", "127.0.0.5"}, exitUsage, "loopback"},
		{"down persist", []string{"down", "--persist"}, exitUsage, "belongs to up"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			if code := runRealserver(tt.args, &out, &errb); code != tt.code || !strings.Contains(errb.String(), tt.inStderr) {
				t.Errorf("exit %d (want %d), stderr:\n%s", code, tt.code, errb.String())
			}
		})
	}
}

// setRealserverPaths points the command's files at dir for this test.
func setRealserverPaths(t *testing.T, dir string) {
	old := realserverPaths
	realserverPaths = realserver.Paths{SysctlDir: dir, StateFile: filepath.Join(dir, "realserver.json")}
	t.Cleanup(func() { realserverPaths = old })
}

// inNS runs the command on a thread inside ns (netlink and /proc/sys follow the thread).
func inNS(t *testing.T, ns *netnstest.NS, run func([]string, *bytes.Buffer, *bytes.Buffer) int, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	var code int
	ns.MustDo(func() error { code = run(args, &out, &errb); return nil })
	return code, out.String(), errb.String()
}

func TestRealserverCommandInNamespace(t *testing.T) {
	lab := netnstest.New(t, "ho")
	ns := lab.NewNS("rs")
	setRealserverPaths(t, t.TempDir())
	run := func(args []string, o, e *bytes.Buffer) int { return runRealserver(args, o, e) }

	code, out, errs := inNS(t, ns, run, "up", "--vip", "10.10.10.22")
	if code != exitOK {
		t.Fatalf("up: exit %d: %s", code, errs)
	}
	want := "added 10.10.10.22/32 to lo\nset net.ipv4.conf.all.arp_ignore = 1 (was 0)\nset net.ipv4.conf.lo.arp_ignore = 1 (was 0)\n" +
		"set net.ipv4.conf.all.arp_announce = 2 (was 0)\nset net.ipv4.conf.lo.arp_announce = 2 (was 0)\n"
	if diff := cmp.Diff(want, out); diff != "" {
		t.Errorf("up output (-want +got):\n%s", diff)
	}
	if got := ns.Run("ip", "-o", "-4", "addr", "show", "dev", "lo"); !strings.Contains(got, "inet 10.10.10.22/32") {
		t.Errorf("VIP not on lo: %s", got)
	}
	code, out, errs = inNS(t, ns, run, "down")
	if code != exitOK {
		t.Fatalf("down: exit %d: %s", code, errs)
	}
	if got := ns.Run("ip", "-o", "-4", "addr", "show", "dev", "lo"); strings.Contains(got, "10.10.10.22") {
		t.Errorf("VIP still on lo after down: %s", got)
	}
	if v, _ := ns.ReadSysctl("net/ipv4/conf/all/arp_ignore"); v != "0" {
		t.Errorf("arp_ignore after down = %s, want 0", v)
	}
	if !strings.HasPrefix(out, "removed 10.10.10.22/32 from lo\n") {
		t.Errorf("down output: %s", out)
	}
}
