package bgp

import (
	"errors"
	"strings"
	"testing"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"github.com/halvs/halvs/internal/netnstest"
)

// TestDummiesLoopback: lo is never created or removed, but the ARP settings are raised
// (and never lowered) so that the host answers no ARP request for the addresses on it.
func TestDummiesLoopback(t *testing.T) {
	lab := netnstest.New(t, "hbgp")
	ns := lab.NewNS("lo")
	if err := ns.WriteSysctl("net/ipv4/conf/all/arp_announce", "2"); err != nil {
		t.Fatal(err)
	}
	ns.MustDo(func() error {
		d, err := NewDummies()
		if err != nil {
			return err
		}
		defer d.Close()
		if err := d.Ensure(Loopback); err != nil {
			return err
		}
		return d.Remove(Loopback)
	})
	for key, want := range map[string]string{"net/ipv4/conf/all/arp_ignore": "1", "net/ipv4/conf/all/arp_announce": "2"} {
		if got, err := ns.ReadSysctl(key); err != nil || got != want {
			t.Errorf("%s = %q (%v), want %q", key, got, err, want)
		}
	}
	if out := ns.Run("ip", "link", "show", "lo"); !strings.Contains(out, "UP") {
		t.Errorf("lo after Remove: %s", out)
	}
}

// TestDummiesOwnInterface runs against the kernel in a namespace of its own: the dummy is
// created, marked and up, a foreign interface of the same name is refused, and Remove
// deletes only halvs' own. It skips on a kernel without the dummy driver.
func TestDummiesOwnInterface(t *testing.T) {
	lab := netnstest.New(t, "hbgp")
	ns := lab.NewNS("d")
	name := "hbgp0"
	var d *Dummies
	ns.MustDo(func() (err error) { d, err = NewDummies(); return err })
	t.Cleanup(func() { d.Close() })
	// Ensure writes the ARP sysctls of the calling thread's namespace: always call it in ns.
	ensure := func() error { return ns.Do(func() error { return d.Ensure(name) }) }
	err := ensure()
	if errors.Is(err, unix.EOPNOTSUPP) {
		t.Skip("this kernel has no dummy interfaces (CONFIG_DUMMY); the VM tier runs this")
	}
	if err != nil {
		t.Fatal(err)
	}
	if err := ensure(); err != nil { // adopts its own
		t.Fatalf("second Ensure: %v", err)
	}
	out := ns.Run("ip", "-d", "link", "show", name)
	for _, want := range []string{"dummy", "NOARP", "UP", "alias " + ownerAlias} {
		if !strings.Contains(out, want) {
			t.Errorf("ip -d link show %s lacks %q:\n%s", name, want, out)
		}
	}
	if err := d.Remove(name); err != nil {
		t.Fatal(err)
	}
	if err := d.Remove(name); err != nil {
		t.Errorf("Remove of a missing interface: %v, want nil", err)
	}
	if err := d.h.LinkAdd(&netlink.Dummy{LinkAttrs: netlink.LinkAttrs{Name: name}}); err != nil {
		t.Fatal(err)
	}
	if err := ensure(); !errors.Is(err, ErrForeignInterface) {
		t.Errorf("Ensure on a foreign dummy: %v, want ErrForeignInterface", err)
	}
	if err := d.Remove(name); !errors.Is(err, ErrForeignInterface) {
		t.Errorf("Remove of a foreign dummy: %v, want ErrForeignInterface", err)
	}
}
