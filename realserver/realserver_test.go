package realserver

import (
	"errors"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/halvs/halvs/internal/netnstest"
)

func TestValidateVIPs(t *testing.T) {
	tests := []struct {
		name string
		vips []string
		want string // substring of the error; "" for none
	}{
		{"ok", []string{"10.10.10.22", "2001:db8::22"}, ""},
		{"none", nil, "at least one --vip"},
		{"unspecified", []string{"0.0.0.0"}, "not an address"},
		{"loopback", []string{"127.0.0.2"}, "loopback"},
		{"multicast", []string{"224.0.0.18"}, "multicast"},
		{"link-local", []string{"fe80::1"}, "link-local"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var vips []netip.Addr
			for _, s := range tt.vips {
				vips = append(vips, netip.MustParseAddr(s))
			}
			err := ValidateVIPs(vips)
			if got := errString(err); (tt.want == "") != (err == nil) || !strings.Contains(got, tt.want) {
				t.Errorf("err = %v, want containing %q", err, tt.want)
			}
		})
	}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func TestSysctlConf(t *testing.T) {
	got := sysctlConf([]netip.Prefix{netip.MustParsePrefix("10.10.10.22/32")}, false)
	want := "# Written by `halvs realserver up --persist`; removed by `halvs realserver down`.\n" +
		"# LVS direct routing: this host holds the VIPs on lo and must not answer ARP for them.\n" +
		"net.ipv4.conf.all.arp_ignore = 1\nnet.ipv4.conf.lo.arp_ignore = 1\n" +
		"net.ipv4.conf.all.arp_announce = 2\nnet.ipv4.conf.lo.arp_announce = 2\n" +
		"# The VIPs themselves are not restored by sysctl; at boot run\n#   halvs realserver up --vip 10.10.10.22\n" +
		"# (or add them to lo in the network configuration).\n"
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// snapshot is what a test observes of a namespace: lo's addresses and the four sysctls.
type snapshot struct {
	LoAddrs []string
	Sysctls map[string]string
}

func observe(t *testing.T, ns *netnstest.NS) snapshot {
	t.Helper()
	s := snapshot{Sysctls: map[string]string{}}
	for _, line := range strings.Split(ns.Run("ip", "-o", "addr", "show", "dev", "lo"), "\n") {
		f := strings.Fields(line)
		for i := range f {
			if (f[i] == "inet" || f[i] == "inet6") && i+1 < len(f) && !strings.HasPrefix(f[i+1], "127.") && f[i+1] != "::1/128" {
				a := f[i+1]
				if strings.Contains(line, " "+Label+"\\") || strings.HasSuffix(line, " "+Label) {
					a += " label " + Label
				}
				s.LoAddrs = append(s.LoAddrs, a)
			}
		}
	}
	for _, sc := range Sysctls {
		v, err := ns.ReadSysctl(strings.ReplaceAll(sc.Key, ".", "/"))
		if err != nil {
			t.Fatal(err)
		}
		s.Sysctls[sc.Key] = v
	}
	return s
}

// do runs fn with a Host opened inside ns.
func do(t *testing.T, ns *netnstest.NS, p Paths, fn func(h *Host) error) error {
	t.Helper()
	return ns.Do(func() error {
		h, err := Open(p)
		if err != nil {
			return err
		}
		defer h.Close()
		return fn(h)
	})
}

func TestUpDownInNamespace(t *testing.T) {
	lab := netnstest.New(t, "ho")
	ns := lab.NewNS("rs")
	dir := t.TempDir()
	p := Paths{SysctlDir: dir, StateFile: filepath.Join(dir, "state", "realserver.json")}
	vips := []netip.Addr{netip.MustParseAddr("10.10.10.22"), netip.MustParseAddr("2001:db8::22")}

	before := observe(t, ns)
	var changes []string
	if err := do(t, ns, p, func(h *Host) (err error) { changes, err = h.Up(vips, true); return }); err != nil {
		t.Fatal(err)
	}
	wantChanges := []string{
		"added 10.10.10.22/32 to lo", "added 2001:db8::22/128 to lo",
		"set net.ipv4.conf.all.arp_ignore = 1 (was 0)", "set net.ipv4.conf.lo.arp_ignore = 1 (was 0)",
		"set net.ipv4.conf.all.arp_announce = 2 (was 0)", "set net.ipv4.conf.lo.arp_announce = 2 (was 0)",
		"wrote " + filepath.Join(dir, SysctlFile),
	}
	if diff := cmp.Diff(wantChanges, changes); diff != "" {
		t.Errorf("up changes (-want +got):\n%s", diff)
	}
	wantUp := snapshot{
		LoAddrs: []string{"10.10.10.22/32 label lo:halvs", "2001:db8::22/128"},
		Sysctls: map[string]string{"net.ipv4.conf.all.arp_ignore": "1", "net.ipv4.conf.lo.arp_ignore": "1",
			"net.ipv4.conf.all.arp_announce": "2", "net.ipv4.conf.lo.arp_announce": "2"},
	}
	if diff := cmp.Diff(wantUp, observe(t, ns)); diff != "" {
		t.Errorf("after up (-want +got):\n%s", diff)
	}
	if b, err := os.ReadFile(filepath.Join(dir, SysctlFile)); err != nil || !strings.Contains(string(b), "net.ipv4.conf.all.arp_ignore = 1") {
		t.Errorf("persisted file: %q %v", b, err)
	}

	// A second up changes nothing.
	if err := do(t, ns, p, func(h *Host) (err error) { changes, err = h.Up(vips, true); return }); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"wrote " + filepath.Join(dir, SysctlFile)}, changes); diff != "" {
		t.Errorf("second up (-want +got):\n%s", diff)
	}

	if err := do(t, ns, p, func(h *Host) (err error) { changes, err = h.Down(nil); return }); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(before, observe(t, ns)); diff != "" {
		t.Errorf("down did not restore the namespace (-before +after):\n%s", diff)
	}
	for _, f := range []string{filepath.Join(dir, SysctlFile), p.StateFile} {
		if _, err := os.Stat(f); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s left behind: %v", f, err)
		}
	}
}

// TestDownLeavesOthersAlone: an address halvs did not add and a sysctl changed after up
// survive down.
func TestDownLeavesOthersAlone(t *testing.T) {
	lab := netnstest.New(t, "ho")
	ns := lab.NewNS("rs")
	dir := t.TempDir()
	p := Paths{SysctlDir: dir, StateFile: filepath.Join(dir, "realserver.json")}
	ns.AddAddr("lo", netip.MustParsePrefix("10.10.10.23/32")) // the operator's own
	if err := ns.WriteSysctl("net/ipv4/conf/lo/arp_ignore", "1"); err != nil {
		t.Fatal(err)
	}
	vips := []netip.Addr{netip.MustParseAddr("10.10.10.22"), netip.MustParseAddr("10.10.10.23")}
	if err := do(t, ns, p, func(h *Host) error { _, err := h.Up(vips, false); return err }); err != nil {
		t.Fatal(err)
	}
	if err := ns.WriteSysctl("net/ipv4/conf/all/arp_announce", "1"); err != nil { // someone else's change
		t.Fatal(err)
	}
	var changes []string
	if err := do(t, ns, p, func(h *Host) (err error) { changes, err = h.Down(nil); return }); err != nil {
		t.Fatal(err)
	}
	want := []string{
		"removed 10.10.10.22/32 from lo",
		"restored net.ipv4.conf.all.arp_ignore = 0",
		"left net.ipv4.conf.all.arp_announce = 1 alone: changed since halvs set it to 2",
		"restored net.ipv4.conf.lo.arp_announce = 0",
	}
	if diff := cmp.Diff(want, changes); diff != "" {
		t.Errorf("down (-want +got):\n%s", diff)
	}
	got := observe(t, ns)
	wantSnap := snapshot{LoAddrs: []string{"10.10.10.23/32"}, Sysctls: map[string]string{
		"net.ipv4.conf.all.arp_ignore": "0", "net.ipv4.conf.lo.arp_ignore": "1",
		"net.ipv4.conf.all.arp_announce": "1", "net.ipv4.conf.lo.arp_announce": "0"}}
	if diff := cmp.Diff(wantSnap, got); diff != "" {
		t.Errorf("after down (-want +got):\n%s", diff)
	}
}

// TestUpRollsBack: a failure half-way leaves nothing applied.
func TestUpRollsBack(t *testing.T) {
	lab := netnstest.New(t, "ho")
	ns := lab.NewNS("rs")
	dir := t.TempDir()
	before := observe(t, ns)
	p := Paths{ProcSys: filepath.Join(dir, "no-such-proc"), SysctlDir: dir, StateFile: filepath.Join(dir, "realserver.json")}
	err := do(t, ns, p, func(h *Host) error {
		_, err := h.Up([]netip.Addr{netip.MustParseAddr("10.10.10.22")}, true)
		return err
	})
	if err == nil || !strings.Contains(err.Error(), "arp_ignore") {
		t.Fatalf("err = %v, want a sysctl read error", err)
	}
	if diff := cmp.Diff(before, observe(t, ns)); diff != "" {
		t.Errorf("failed up left changes (-before +after):\n%s", diff)
	}
	if _, err := os.Stat(p.StateFile); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("state file written by a failed up: %v", err)
	}
}
