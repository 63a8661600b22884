package director

import (
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/halvs/halvs/vrrp"
)

// devAddresser records on which interface each VIP is added.
type devAddresser struct {
	vrrp.Addresser
	mu   sync.Mutex
	devs map[string]string // prefix → dev
}

func (a *devAddresser) AddVIP(v vrrp.VIP) error {
	a.mu.Lock()
	a.devs[v.Prefix.String()] = v.Dev
	a.mu.Unlock()
	return a.Addresser.AddVIP(v)
}

func (a *devAddresser) dev(p string) string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.devs[p]
}

// TestVMACLifecycle: a use_vmac instance's VMAC exists before its transport opens and its
// VIPs are added there; the adverts use it unless vmac_xmit_base; status names it; a reload
// creates the new VMACs before their instances start and removes the old after theirs stop;
// stop removes the rest.
func TestVMACLifecycle(t *testing.T) {
	k := newKernel()
	opts := k.options(t)
	vmacs := &vrrp.MemoryVMACs{}
	opts.VMACs = vmacs
	addr := &devAddresser{Addresser: opts.Addresser, devs: map[string]string{}}
	opts.Addresser = addr
	open := opts.OpenTransport
	var mu sync.Mutex
	var devs []string // of the transports opened; "!" marks a VMAC that did not exist yet
	opts.OpenTransport = func(key vrrp.TransportKey) (vrrp.Transport, error) {
		dev := key.Dev
		if dev != "eth0" && !slices.ContainsFunc(vmacs.Held(), func(v vrrp.VMAC) bool { return v.Name == dev }) {
			dev += "!"
		}
		mu.Lock()
		devs = append(devs, dev)
		mu.Unlock()
		return open(key)
	}
	first := owner("VI_1", 51, "10.0.0.1/32", "  use_vmac = true\n") + owner("VI_2", 52, "10.0.0.2/32", "  use_vmac = \"vm52\"\n  vmac_xmit_base = true\n")
	d, err := New(parse(t, first), opts)
	if err != nil {
		t.Fatal(err)
	}
	stop := running(t, d)
	masterOf(t, d, "VI_1")
	masterOf(t, d, "VI_2")
	eventually(t, "the VIPs", func() bool { return addr.dev("10.0.0.1/32") != "" && addr.dev("10.0.0.2/32") != "" })
	got := []string{addr.dev("10.0.0.1/32"), addr.dev("10.0.0.2/32")}
	if diff := cmp.Diff([]string{"vrrp.51", "vm52"}, got); diff != "" {
		t.Errorf("the VIPs' interfaces (-want +got):\n%s", diff)
	}
	// VI_1 sends from its VMAC, VI_2 (vmac_xmit_base) from eth0; each opened with its VMAC there.
	mu.Lock()
	opened := slices.Sorted(slices.Values(devs))
	mu.Unlock()
	if diff := cmp.Diff([]string{"eth0", "vrrp.51"}, opened); diff != "" {
		t.Errorf("transports opened (-want +got):\n%s", diff)
	}
	var status [][3]string
	for _, is := range d.Status(t.Context()).Instances {
		status = append(status, [3]string{is.Name, is.Interface, is.VMAC})
	}
	if diff := cmp.Diff([][3]string{{"VI_1", "eth0", "vrrp.51"}, {"VI_2", "eth0", "vm52"}}, status); diff != "" {
		t.Errorf("status (-want +got):\n%s", diff)
	}

	// VI_2 goes, VI_3 comes with a VMAC.
	second := owner("VI_1", 51, "10.0.0.1/32", "  use_vmac = true\n") + owner("VI_3", 53, "10.0.0.3/32", "  use_vmac = true\n")
	if err := d.Reload(parse(t, second)); err != nil {
		t.Fatal(err)
	}
	masterOf(t, d, "VI_3")
	// The same name on another interface is refused, and changes nothing.
	moved := strings.Replace(owner("VI_1", 51, "10.0.0.1/32", "  use_vmac = true\n"), `"eth0"`, `"eth1"`, 1) + owner("VI_3", 53, "10.0.0.3/32", "  use_vmac = true\n")
	if err := d.Reload(parse(t, moved)); err == nil || !strings.Contains(err.Error(), "use_vmac vrrp.51") {
		t.Errorf("reload giving vrrp.51 another interface: %v, want it refused", err)
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	want := []string{"create vm52 on eth0", "create vrrp.51 on eth0", "create vrrp.53 on eth0", "delete vm52", "delete vrrp.51", "delete vrrp.53"}
	if diff := cmp.Diff(want, vmacs.Ops()); diff != "" {
		t.Errorf("VMAC operations (-want +got):\n%s", diff)
	}
}

// TestVMACNotOurs: a VMAC whose name the host uses already stops the start, with the reason.
func TestVMACNotOurs(t *testing.T) {
	k := newKernel()
	opts := k.options(t)
	opts.VMACs = &vrrp.MemoryVMACs{HostLinks: []string{"vrrp.51"}}
	d, err := New(parse(t, owner("VI_1", 51, "10.0.0.1/32", "  use_vmac = true\n")), opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := running(t, d)(); !errors.Is(err, vrrp.ErrNotOurVMAC) {
		t.Errorf("Run: %v, want ErrNotOurVMAC", err)
	}
	if k.hasVIP("10.0.0.1/32") {
		t.Error("the VIP was added although its VMAC could not be made")
	}
}
