package vrrp

import (
	"errors"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/halvs/halvs/vrrp/vrrptest"
)

var (
	ledgerA = VIP{Prefix: netip.MustParsePrefix("10.0.0.5/24"), Dev: "eth0"}
	ledgerB = VIP{Prefix: netip.MustParsePrefix("2001:db8::5/64"), Dev: "eth1"}
)

// failingAddresser fails the operations named in fail; before each call it runs peek,
// which sees the record as it is at that moment.
type failingAddresser struct {
	vrrptest.Addresser
	fail map[string]bool // "add", "del"
	peek func(op string, v VIP)
}

func (a *failingAddresser) AddVIP(v VIP) error {
	if a.peek != nil {
		a.peek("add", v)
	}
	if a.fail["add"] {
		return errors.New("add refused")
	}
	return a.Addresser.AddVIP(v)
}

func (a *failingAddresser) DelVIP(v VIP) error {
	if a.peek != nil {
		a.peek("del", v)
	}
	if a.fail["del"] {
		return errors.New("delete refused")
	}
	return a.Addresser.DelVIP(v)
}

func openLedger(t *testing.T, path string, next Addresser) *Ledger {
	t.Helper()
	l, err := OpenLedger(path, next, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// TestLedgerOutlivesTheProcess: what one Ledger added and did not remove is what a Ledger
// opened later on the same file reports, with nothing closed in between (as after SIGKILL).
func TestLedgerOutlivesTheProcess(t *testing.T) {
	path := filepath.Join(t.TempDir(), "vips.json")
	kernel := &vrrptest.Addresser{}
	first := openLedger(t, path, kernel)
	for _, v := range []VIP{ledgerA, ledgerB} {
		if err := first.AddVIP(v); err != nil {
			t.Fatal(err)
		}
	}
	if err := first.DelVIP(ledgerB); err != nil {
		t.Fatal(err)
	}

	next := openLedger(t, path, kernel)
	if diff := cmp.Diff([]VIP{ledgerA}, next.Recorded(), cmpPrefix); diff != "" {
		t.Errorf("record after a restart (-want +got):\n%s", diff)
	}
	// The label and scope are not part of an address's identity.
	if a := (VIP{Prefix: ledgerA.Prefix, Dev: "eth0", Label: "eth0:1", Scope: "link"}); !next.Added(a) {
		t.Errorf("Added(%+v) = false, want true", a)
	}
	for _, v := range []VIP{ledgerB, {Prefix: ledgerA.Prefix, Dev: "eth1"}, {Prefix: netip.MustParsePrefix("10.0.0.5/32"), Dev: "eth0"}} {
		if next.Added(v) {
			t.Errorf("Added(%+v) = true, want false", v)
		}
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(b), `{"vips":[{"dev":"eth0","prefix":"10.0.0.5/24"}]}`+"\n"; got != want {
		t.Errorf("file = %q, want %q", got, want)
	}
	if entries, _ := os.ReadDir(filepath.Dir(path)); len(entries) != 1 {
		t.Errorf("directory holds %d files, want only the record (no temporary left)", len(entries))
	}
}

// TestLedgerRecordsBeforeAdding: a crash between the record and the add leaves the VIP on
// record; a crash between the removal and the record leaves it on record too.
func TestLedgerRecordsBeforeAdding(t *testing.T) {
	path := filepath.Join(t.TempDir(), "vips.json")
	var seen []string
	kernel := &failingAddresser{peek: func(op string, v VIP) {
		b, _ := os.ReadFile(path)
		seen = append(seen, op+" "+strings.TrimSpace(string(b)))
	}}
	l := openLedger(t, path, kernel)
	if err := l.AddVIP(ledgerA); err != nil {
		t.Fatal(err)
	}
	if err := l.DelVIP(ledgerA); err != nil {
		t.Fatal(err)
	}
	onRecord := `{"vips":[{"dev":"eth0","prefix":"10.0.0.5/24"}]}`
	if diff := cmp.Diff([]string{"add " + onRecord, "del " + onRecord}, seen); diff != "" {
		t.Errorf("the file as each kernel call began (-want +got):\n%s", diff)
	}
	if l.Added(ledgerA) {
		t.Error("still on record after DelVIP")
	}
}

func TestLedgerFailures(t *testing.T) {
	tests := []struct {
		name   string
		before []VIP  // on record, and in the kernel, first
		fail   string // the operation that fails
		op     func(*Ledger) error
		want   []VIP // on record after
	}{
		{"failed add of a new VIP is forgotten", nil, "add", func(l *Ledger) error { return l.AddVIP(ledgerA) }, nil},
		{"failed re-add keeps the record", []VIP{ledgerA}, "add", func(l *Ledger) error { return l.AddVIP(ledgerA) }, []VIP{ledgerA}},
		{"failed delete keeps the record", []VIP{ledgerA, ledgerB}, "del", func(l *Ledger) error { return l.DelVIP(ledgerA) }, []VIP{ledgerA, ledgerB}},
		{"delete of an unrecorded VIP", []VIP{ledgerB}, "", func(l *Ledger) error { return l.DelVIP(ledgerA) }, []VIP{ledgerB}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "vips.json")
			kernel := &failingAddresser{fail: map[string]bool{}}
			l := openLedger(t, path, kernel)
			for _, v := range tt.before {
				if err := l.AddVIP(v); err != nil {
					t.Fatal(err)
				}
			}
			kernel.fail[tt.fail] = true
			if err := tt.op(l); (err != nil) != (tt.fail != "") {
				t.Errorf("error = %v, want one: %v", err, tt.fail != "")
			}
			if diff := cmp.Diff(tt.want, openLedger(t, path, &vrrptest.Addresser{}).Recorded(), cmpPrefix, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("record on disk (-want +got):\n%s", diff)
			}
		})
	}
}

func TestOpenLedgerRefuses(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name    string
		path    string
		content string // written first unless ""
		want    string
	}{
		{"not JSON", filepath.Join(dir, "garbage.json"), "{vips", "is not valid"},
		{"entry without an interface", filepath.Join(dir, "nodev.json"), `{"vips":[{"prefix":"10.0.0.5/24"}]}`, "without an address or interface"},
		{"bad prefix", filepath.Join(dir, "badprefix.json"), `{"vips":[{"dev":"eth0","prefix":"10.0.0.500/24"}]}`, "is not valid"},
		{"directory missing", filepath.Join(dir, "none", "vips.json"), "", "no such file or directory"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.content != "" {
				if err := os.WriteFile(tt.path, []byte(tt.content), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			_, err := OpenLedger(tt.path, &vrrptest.Addresser{}, testLogger(t))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("OpenLedger = %v, want an error containing %q", err, tt.want)
			}
			if tt.content != "" {
				if b, _ := os.ReadFile(tt.path); string(b) != tt.content {
					t.Errorf("the refused file was changed to %q", b)
				}
			}
		})
	}
}

// TestStartRemovesOnlyRecordedVIPs: a BACKUP's start removes a VIP an earlier run recorded
// and leaves one the host had of its own, which it never added.
func TestStartRemovesOnlyRecordedVIPs(t *testing.T) {
	hostOwn := VIP{Prefix: netip.MustParsePrefix("10.10.10.22/24"), Dev: "eth0"}
	left := VIP{Prefix: netip.MustParsePrefix("10.10.10.23/24"), Dev: "eth0"}
	path := filepath.Join(t.TempDir(), "vips.json")
	if err := os.WriteFile(path, []byte(`{"vips":[{"dev":"eth0","prefix":"10.10.10.23/24"}]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	kernel := &vrrptest.Addresser{}
	kernel.Put(hostOwn.Prefix)
	kernel.Put(left.Prefix)
	led := openLedger(t, path, kernel)

	l := newLab(t)
	h := &host{addr: kernel, ann: &vrrptest.Announcer{}, links: &vrrptest.Links{}, script: &scriptLog{}}
	r, err := NewRouter(Deps{
		Addresser: led, Announcer: h.ann, Links: h.links, Clock: l.clock,
		OpenTransport: func(TransportKey) (Transport, error) { h.port = l.seg.Port(hostA); return h.port, nil },
		RunScript:     h.script.run, Logger: testLogger(t),
	})
	if err != nil {
		t.Fatal(err)
	}
	h.r = r
	l.hosts = append(l.hosts, h)
	cfg := vi1(100)
	cfg.VIPs = []VIP{hostOwn, left}
	h.apply(t, cfg)
	l.settle()

	if s := state(h); s != StateBackup {
		t.Fatalf("state %v, want BACKUP", s)
	}
	ops := kernel.Ops()
	if diff := cmp.Diff([]string{"del 10.10.10.23/24"}, ops); diff != "" {
		t.Errorf("kernel calls at start (-want +got):\n%s", diff)
	}
	if !kernel.Has(hostOwn.Prefix) {
		t.Error("the host's own address was removed")
	}
	if led.Added(left) {
		t.Error("the removed VIP is still on record")
	}
}

var cmpPrefix = cmp.Options{cmp.Comparer(func(a, b netip.Prefix) bool { return a == b }),
	cmp.Comparer(func(a, b netip.Addr) bool { return a == b })}
