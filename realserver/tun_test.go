package realserver

import (
	"errors"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/halvs/halvs/internal/netnstest"
)

func TestValidateTUN(t *testing.T) {
	if err := validateTUN([]netip.Addr{netip.MustParseAddr("10.10.10.22")}); err != nil {
		t.Errorf("IPv4: %v", err)
	}
	err := validateTUN([]netip.Addr{netip.MustParseAddr("10.10.10.22"), netip.MustParseAddr("2001:db8::22")})
	if err == nil || !strings.Contains(err.Error(), "--tun is IPv4 only") {
		t.Errorf("IPv6: err = %v, want --tun is IPv4 only", err)
	}
}

func TestSysctlConfTUN(t *testing.T) {
	got := sysctlConf([]netip.Prefix{netip.MustParsePrefix("10.10.10.22/32")}, true)
	for _, want := range []string{"net.ipv4.conf.tunl0.rp_filter = 0\n", "#   halvs realserver up --tun --vip 10.10.10.22\n", "to tunl0 in the network configuration"} {
		if !strings.Contains(got, want) {
			t.Errorf("persisted file lacks %q:\n%s", want, got)
		}
	}
}

// tunSnapshot is what a TUN test observes: tunl0 (absent, up or down), its addresses and
// the rp_filter settings.
type tunSnapshot struct {
	Tunl0    string
	Addrs    []string
	RPFilter map[string]string
}

func observeTUN(t *testing.T, ns *netnstest.NS) tunSnapshot {
	t.Helper()
	s := tunSnapshot{Tunl0: "absent", RPFilter: map[string]string{}}
	out, err := ns.Command(t.Context(), "ip", "-o", "addr", "show", "dev", tunDev).CombinedOutput()
	if err == nil {
		s.Tunl0 = "down"
		link := ns.Run("ip", "-o", "link", "show", "dev", tunDev) // "...: <NOARP,UP,LOWER_UP> ..."
		if i, j := strings.Index(link, "<"), strings.Index(link, ">"); i >= 0 && j > i && slices.Contains(strings.Split(link[i+1:j], ","), "UP") {
			s.Tunl0 = "up"
		}
		for _, line := range strings.Split(string(out), "\n") {
			f := strings.Fields(line)
			for i := range f {
				if f[i] == "inet" && i+1 < len(f) {
					s.Addrs = append(s.Addrs, f[i+1]+" "+f[len(f)-1])
				}
			}
		}
	}
	for _, k := range []string{"all", tunDev} {
		if v, err := ns.ReadSysctl("net/ipv4/conf/" + k + "/rp_filter"); err == nil {
			s.RPFilter[k] = v
		}
	}
	return s
}

// TestUpTUNInNamespace: up --tun brings tunl0 up with the VIP on it and relaxes a strict
// rp_filter; down restores all of it. On a kernel without ipip, up fails saying so and
// leaves the namespace as it was.
func TestUpTUNInNamespace(t *testing.T) {
	lab := netnstest.New(t, "ho")
	ns := lab.NewNS("rs")
	if err := ns.WriteSysctl("net/ipv4/conf/all/rp_filter", "1"); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	p := Paths{SysctlDir: dir, StateFile: filepath.Join(dir, "realserver.json")}
	vips := []netip.Addr{netip.MustParseAddr("10.10.10.22")}
	before := observeTUN(t, ns)
	var changes []string
	err := do(t, ns, p, func(h *Host) (err error) { changes, err = h.UpTUN(vips, false); return })
	if err != nil {
		if before.Tunl0 != "absent" || !strings.Contains(err.Error(), "modprobe ipip") {
			t.Fatalf("up --tun: %v", err)
		}
		// This kernel has no ipip: nothing may have changed.
		if diff := cmp.Diff(before, observeTUN(t, ns)); diff != "" {
			t.Errorf("a failed up --tun changed the namespace (-before +after):\n%s", diff)
		}
		if _, err := os.Stat(p.StateFile); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("state file written by a failed up --tun: %v", err)
		}
		if snap := observe(t, ns); snap.Sysctls["net.ipv4.conf.all.arp_ignore"] != "0" {
			t.Errorf("a failed up --tun set arp_ignore: %v", snap.Sysctls)
		}
		t.Skipf("this kernel has no ipip (checked that up --tun says so and changes nothing): %v", err)
	}
	got := observeTUN(t, ns)
	want := tunSnapshot{Tunl0: "up", Addrs: []string{"10.10.10.22/32 tunl0:halvs"}, RPFilter: map[string]string{"all": "0", tunDev: "0"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("after up --tun (-want +got):\nchanges: %q\n%s", changes, diff)
	}
	if err := do(t, ns, p, func(h *Host) (err error) { changes, err = h.Down(nil); return }); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(before.RPFilter, observeTUN(t, ns).RPFilter); diff != "" {
		t.Errorf("down did not restore rp_filter (-before +after):\nchanges: %q\n%s", changes, diff)
	}
	if after := observeTUN(t, ns); len(after.Addrs) > 0 || after.Tunl0 == "up" {
		t.Errorf("after down: %+v (changes %q)", after, changes)
	}
}
