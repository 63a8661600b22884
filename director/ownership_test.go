package director

import (
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/halvs/halvs/vrrp"
	"github.com/halvs/halvs/vrrp/vrrptest"
)

// listingAddresser is the fake kernel's Addresser that also lists the host's addresses: the
// static ones of host, and the VIPs in the fake kernel (on eth0).
type listingAddresser struct {
	*vrrptest.Addresser
	host []vrrp.HostAddress
}

func (a listingAddresser) ListAddresses() ([]vrrp.HostAddress, error) {
	out := slices.Clone(a.host)
	for _, p := range a.Held() {
		out = append(out, vrrp.HostAddress{Dev: "eth0", Prefix: p})
	}
	return out, nil
}

func hostAddr(dev, prefix string) vrrp.HostAddress {
	return vrrp.HostAddress{Dev: dev, Prefix: netip.MustParsePrefix(prefix)}
}

// writeRecord writes a VIP record listing entries ("eth0 10.0.0.5/24") and returns its path.
func writeRecord(t *testing.T, entries ...string) string {
	t.Helper()
	var parts []string
	for _, e := range entries {
		dev, p, _ := strings.Cut(e, " ")
		parts = append(parts, `{"dev":"`+dev+`","prefix":"`+p+`"}`)
	}
	path := filepath.Join(t.TempDir(), "vips.json")
	if err := os.WriteFile(path, []byte(`{"vips":[`+strings.Join(parts, ",")+`]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestNewRefusesHostAddresses: a VIP the host already holds, on any interface and with any
// prefix length, is refused at start with its place in the config and the interface that
// holds it, unless halvs added it (on record) or the entry says takeover; nothing changes.
func TestNewRefusesHostAddresses(t *testing.T) {
	host := []vrrp.HostAddress{hostAddr("lo", "127.0.0.1/8"), hostAddr("eth0", "10.0.0.5/24"), hostAddr("eth1", "10.0.0.9/24")}
	tests := []struct {
		name   string
		src    string
		inK    []string // in the fake kernel on eth0 besides host
		record []string // on record
		want   []string // substrings of the error; none: accepted
	}{
		{"a free address", owner("VI_1", 51, "10.0.0.6/24", ""), nil, nil, nil},
		{"the interface's own address", owner("VI_1", 51, "10.0.0.5/24", ""), nil, nil, []string{
			`test.hcl:7:24: vrrp_instance "VI_1": virtual_ipaddress "10.0.0.5/24": 10.0.0.5 is already an address of eth0 (10.0.0.5/24), not one halvs added`,
			"add the option takeover"}},
		{"another prefix length", owner("VI_1", 51, "10.0.0.5/32", ""), nil, nil, []string{
			"10.0.0.5 is already an address of eth0 (10.0.0.5/24)"}},
		{"on another interface", owner("VI_1", 51, "10.0.0.9/32", ""), nil, nil, []string{
			"10.0.0.9 is already an address of eth1 (10.0.0.9/24)"}},
		{"excluded", owner("VI_1", 51, "10.0.0.6/24", `  virtual_ipaddress_excluded = ["10.0.0.8/24", "10.0.0.9/24 dev eth1"]`+"\n"), nil, nil, []string{
			`virtual_ipaddress_excluded "10.0.0.9/24": 10.0.0.9 is already an address of eth1`}},
		{"takeover", owner("VI_1", 51, "10.0.0.5/24 takeover", ""), nil, nil, nil},
		{"left by an earlier run", owner("VI_1", 51, "10.0.0.7/24", ""), []string{"10.0.0.7/24"}, []string{"eth0 10.0.0.7/24"}, nil},
		{"on record with another prefix length", owner("VI_1", 51, "10.0.0.7/32", ""), []string{"10.0.0.7/24"}, []string{"eth0 10.0.0.7/32"}, []string{
			"10.0.0.7 is already an address of eth0 (10.0.0.7/24)"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k := newKernel()
			for _, p := range tt.inK {
				k.addr.Put(netip.MustParsePrefix(p))
			}
			opts := k.options(t)
			opts.Addresser = listingAddresser{&k.addr, host}
			opts.VIPRecord = writeRecord(t, tt.record...)
			d, err := New(parse(t, tt.src), opts)
			if len(tt.want) == 0 {
				if err != nil {
					t.Fatalf("New: %v", err)
				}
				running(t, d)
				return
			}
			if err == nil {
				t.Fatal("New accepted a VIP the host holds")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q:\n%v", w, err)
				}
			}
			if ops := k.opLog(); len(ops) > 0 {
				t.Errorf("a refused start changed addresses: %q", ops)
			}
		})
	}
}

// TestRunRemovesOnlyRecordedVIPs: at start, the VIPs on record (left by a run that was
// killed) are removed, configured or not; an address the host holds that is not on record
// is never touched.
func TestRunRemovesOnlyRecordedVIPs(t *testing.T) {
	k := newKernel()
	for _, p := range []string{"10.0.0.1/32", "10.0.0.7/32", "10.0.0.3/32"} {
		k.addr.Put(netip.MustParsePrefix(p))
	}
	opts := k.options(t)
	opts.VIPRecord = writeRecord(t, "eth0 10.0.0.1/32", "eth0 10.0.0.7/32")
	d, err := New(parse(t, owner("VI_1", 51, "10.0.0.1/32", "")), opts)
	if err != nil {
		t.Fatal(err)
	}
	stop := running(t, d)
	masterOf(t, d, "VI_1")
	eventually(t, "the VIP added", func() bool { return slices.Contains(k.opLog(), "add 10.0.0.1/32") })
	want := []string{"del 10.0.0.7/32", "del 10.0.0.1/32", "add 10.0.0.1/32"}
	if diff := cmp.Diff(want, k.opLog()); diff != "" {
		t.Errorf("address changes at start (-want +got):\n%s", diff)
	}
	if !k.hasVIP("10.0.0.3/32") {
		t.Error("an address not on record was removed")
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(opts.VIPRecord)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.TrimSpace(string(b)); got != `{"vips":[]}` {
		t.Errorf("record after a clean stop = %s, want none on record", got)
	}
}

// TestReloadRefusesHostAddresses: a reload that adds a VIP the host already holds is refused
// like a start (nothing changes, the running VIPs stay); the VIPs it keeps are not checked
// again, since halvs holds them itself.
func TestReloadRefusesHostAddresses(t *testing.T) {
	k := newKernel()
	opts := k.options(t)
	opts.Addresser = listingAddresser{&k.addr, []vrrp.HostAddress{hostAddr("eth0", "10.0.0.5/24")}}
	opts.VIPRecord = filepath.Join(t.TempDir(), "vips.json")
	d, err := New(parse(t, owner("VI_1", 51, "10.0.0.6/24", "")), opts)
	if err != nil {
		t.Fatal(err)
	}
	running(t, d)
	inst := masterOf(t, d, "VI_1")
	eventually(t, "VIP added", func() bool { return k.hasVIP("10.0.0.6/24") })
	opsBefore := len(k.opLog())

	err = d.Reload(parse(t, owner("VI_1", 51, "10.0.0.6/24", `  virtual_ipaddress_excluded = ["10.0.0.5/32"]`+"\n")))
	if err == nil || !strings.Contains(err.Error(), "10.0.0.5 is already an address of eth0") {
		t.Fatalf("Reload = %v, want the host's address refused", err)
	}
	if ops := k.opLog()[opsBefore:]; len(ops) > 0 {
		t.Errorf("a refused reload changed addresses: %q", ops)
	}
	// The same VIP again, with a change elsewhere: accepted, in place.
	if err := d.Reload(parse(t, owner("VI_1", 51, "10.0.0.6/24", `  virtual_ipaddress_excluded = ["10.0.0.7/32"]`+"\n"))); err != nil {
		t.Fatalf("Reload: %v", err)
	}
	eventually(t, "excluded VIP added", func() bool { return k.hasVIP("10.0.0.7/32") })
	if d.router.Instance("VI_1") != inst || !k.hasVIP("10.0.0.6/24") {
		t.Error("the reload restarted the instance or lost its VIP")
	}
}
