package vrrp

import (
	"net/netip"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

func TestLinkUp(t *testing.T) {
	tests := []struct {
		name  string
		oper  netlink.LinkOperState
		flags uint32
		want  bool
	}{
		{"oper up", netlink.OperUp, unix.IFF_UP | unix.IFF_RUNNING, true},
		{"oper down", netlink.OperDown, unix.IFF_UP, false},
		{"carrier lost", netlink.OperLowerLayerDown, unix.IFF_UP, false},
		{"dormant", netlink.OperDormant, unix.IFF_UP, false},
		{"unknown, up and running", netlink.OperUnknown, unix.IFF_UP | unix.IFF_RUNNING | unix.IFF_LOOPBACK, true},
		{"unknown, up not running", netlink.OperUnknown, unix.IFF_UP, false},
		{"unknown, admin down", netlink.OperUnknown, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := linkUp(&netlink.LinkAttrs{OperState: tt.oper, RawFlags: tt.flags}); got != tt.want {
				t.Errorf("linkUp = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestLinkStateObserve(t *testing.T) {
	upd := func(typ uint16, name string, index int, oper netlink.LinkOperState) netlink.LinkUpdate {
		return netlink.LinkUpdate{Header: unix.NlMsghdr{Type: typ},
			Link: &netlink.Device{LinkAttrs: netlink.LinkAttrs{Name: name, Index: index, OperState: oper}}}
	}
	type result struct{ Up, Changed bool }
	steps := []struct {
		name string
		u    netlink.LinkUpdate
		want result
	}{
		{"other interface", upd(unix.RTM_NEWLINK, "hk1", 3, netlink.OperUp), result{false, false}},
		{"appears up", upd(unix.RTM_NEWLINK, "hk0", 2, netlink.OperUp), result{true, true}},
		{"same state again (address change)", upd(unix.RTM_NEWLINK, "hk0", 2, netlink.OperUp), result{true, false}},
		{"carrier lost", upd(unix.RTM_NEWLINK, "hk0", 2, netlink.OperLowerLayerDown), result{false, true}},
		{"back", upd(unix.RTM_NEWLINK, "hk0", 2, netlink.OperUp), result{true, true}},
		{"renamed away", upd(unix.RTM_NEWLINK, "hk9", 2, netlink.OperUp), result{false, true}},
		{"renamed interface changes", upd(unix.RTM_NEWLINK, "hk9", 2, netlink.OperDown), result{false, false}},
		{"recreated", upd(unix.RTM_NEWLINK, "hk0", 5, netlink.OperUp), result{true, true}},
		{"deleted", upd(unix.RTM_DELLINK, "hk0", 5, netlink.OperUp), result{false, true}},
	}
	st := linkState{dev: "hk0"}
	for _, s := range steps {
		up, changed := st.observe(s.u)
		if diff := cmp.Diff(s.want, result{up, changed}); diff != "" {
			t.Errorf("%s (-want +got):\n%s", s.name, diff)
		}
	}
}

func TestLinkWatcherVeth(t *testing.T) {
	_, br, hosts := newSegment(t, "10.77.0.1/24")
	h := hosts[0]
	events := make(chan bool, 16)
	stop := make(chan struct{})
	t.Cleanup(func() { close(stop) })
	w := NewLinkWatcher(nil)
	h.ns.MustDo(func() error { return w.Watch("hk0", func(up bool) { events <- up }, stop) })

	next := func(what string, want bool) {
		t.Helper()
		select {
		case got := <-events:
			if got != want {
				t.Fatalf("%s: reported up=%v, want %v", what, got, want)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("%s: nothing reported within 10s", what)
		}
	}
	next("initial state", true)
	h.ns.SetLinkUp("hk0", false)
	next("admin down", false)
	h.ns.SetLinkUp("hk0", true)
	next("admin up", true)
	// Taking the bridge's end down drops the carrier: hk0 stays admin up, but is not usable.
	br.NS.SetLinkUp(h.port.Bridge, false)
	next("peer down (carrier lost)", false)
	br.NS.SetLinkUp(h.port.Bridge, true)
	next("peer up", true)

	t.Run("missing interface", func(t *testing.T) {
		got := make(chan bool, 4)
		h.ns.MustDo(func() error { return w.Watch("hk7", func(up bool) { got <- up }, stop) })
		select {
		case up := <-got:
			if up {
				t.Error("missing interface reported up")
			}
		case <-time.After(10 * time.Second):
			t.Fatal("no initial state for a missing interface")
		}
		h.ns.AddAddr("hk0", netip.MustParsePrefix("10.77.0.5/32")) // unrelated churn
		br.Attach(h.ns, "hk7", nil)
		select {
		case up := <-got:
			if !up {
				t.Error("new interface reported down")
			}
		case <-time.After(10 * time.Second):
			t.Fatal("interface that appeared was not reported")
		}
	})
}
