//go:build vmtest

package lvs

import (
	"encoding/binary"
	"net/netip"
	"testing"
	"time"

	"github.com/halvs/halvs/internal/netnstest"
	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// TestMarkMidStream: on a real interface, the filter marks a director's incoming TCP
// packets to the VIP and port that carry no SYN, and no others; unmarking removes it. The
// director's namespace makes the mark visible: a rule sends marked packets to a table that
// delivers everything locally, where a raw socket sees them, while an unmarked packet, for
// an address the director does not hold, is dropped.
func TestMarkMidStream(t *testing.T) {
	lab := netnstest.New(t, "hmk")
	br := lab.NewBridge()
	dir, cli := lab.NewNS("dir"), lab.NewNS("cli")
	dp := br.Attach(dir, "hmkd", nil, netip.MustParsePrefix("10.77.0.2/24"))
	cp := br.Attach(cli, "hmkc", nil, netip.MustParsePrefix("10.77.0.100/24"))
	vip := netip.MustParseAddr("10.77.0.22")
	const mark, pref = 0x4856_0033, 0x4856
	dir.Run("ip", "rule", "add", "pref", "100", "fwmark", "0x48560033", "lookup", "200")
	dir.Run("ip", "route", "add", "local", "0.0.0.0/0", "dev", "lo", "table", "200")
	cli.Run("ip", "neigh", "replace", vip.String(), "lladdr", dp.MAC.String(), "dev", cp.Name, "nud", "permanent")

	dir.MustDo(func() error { return MarkMidStream(dp.Name, vip, []uint16{80, 7}, pref, mark) })
	if n := filtersAt(t, dir, dp.Name, pref); n != 2 {
		t.Fatalf("%d u32 filters at preference %d after MarkMidStream, want 2 (one per port)", n, pref)
	}
	for _, c := range []struct {
		name   string
		port   uint16
		flags  uint8
		marked bool
	}{
		{"mid-stream ACK to port 80", 80, 0x10, true},
		{"mid-stream PSH|ACK to port 7", 7, 0x18, true},
		{"SYN to port 80", 80, 0x02, false},
		{"ACK to port 81", 81, 0x10, false},
	} {
		if got := marked(t, dir, cli, vip, c.port, c.flags); got != c.marked {
			t.Errorf("%s: marked %v, want %v", c.name, got, c.marked)
		}
	}

	dir.MustDo(func() error { return UnmarkMidStream(dp.Name, pref) })
	if n := filtersAt(t, dir, dp.Name, pref); n != 0 {
		t.Errorf("%d filters at preference %d after UnmarkMidStream", n, pref)
	}
	if marked(t, dir, cli, vip, 80, 0x10) {
		t.Error("an ACK to port 80 is still marked after UnmarkMidStream")
	}
	dir.MustDo(func() error { return UnmarkMidStream(dp.Name, pref) }) // absent: no error
	if err := MarkMidStream(dp.Name, netip.MustParseAddr("2001:db8::1"), []uint16{80}, pref, mark); err == nil {
		t.Error("MarkMidStream accepted an IPv6 VIP")
	}
}

// filtersAt counts the u32 filters at preference pref on dev's ingress in ns.
func filtersAt(t *testing.T, ns *netnstest.NS, dev string, pref uint16) int {
	t.Helper()
	link, err := ns.Handle.LinkByName(dev)
	if err != nil {
		t.Fatal(err)
	}
	fs, err := ns.Handle.FilterList(link, netlink.HANDLE_MIN_INGRESS)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, f := range fs {
		if f.Attrs().Priority == pref && f.Type() == "u32" {
			n++
		}
	}
	return n
}

// marked sends one TCP segment with flags from the client to vip:port and reports whether
// the director delivered it locally (what its rule does with marked packets) within 300 ms.
func marked(t *testing.T, dir, cli *netnstest.NS, vip netip.Addr, port uint16, flags uint8) bool {
	t.Helper()
	var rx int
	dir.MustDo(func() error {
		var err error
		rx, err = unix.Socket(unix.AF_INET, unix.SOCK_RAW, unix.IPPROTO_TCP)
		if err != nil {
			return err
		}
		tv := unix.Timeval{Usec: 50_000}
		return unix.SetsockoptTimeval(rx, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv)
	})
	defer unix.Close(rx)
	const sport = 40000
	cli.MustDo(func() error {
		raw, err := unix.Socket(unix.AF_INET, unix.SOCK_RAW, unix.IPPROTO_TCP)
		if err != nil {
			return err
		}
		defer unix.Close(raw)
		seg := make([]byte, 20)
		binary.BigEndian.PutUint16(seg[0:], sport)
		binary.BigEndian.PutUint16(seg[2:], port)
		binary.BigEndian.PutUint32(seg[4:], 1)
		binary.BigEndian.PutUint32(seg[8:], 1)
		seg[12], seg[13] = 5<<4, flags
		binary.BigEndian.PutUint16(seg[14:], 512)
		return unix.Sendto(raw, seg, 0, &unix.SockaddrInet4{Addr: vip.As4()})
	})
	buf := make([]byte, 1500)
	for deadline := time.Now().Add(300 * time.Millisecond); time.Now().Before(deadline); {
		n, _, err := unix.Recvfrom(rx, buf, 0)
		if err != nil || n < 40 {
			continue
		}
		ihl := int(buf[0]&0x0f) * 4
		dst, _ := netip.AddrFromSlice(buf[16:20])
		if n >= ihl+4 && dst == vip && binary.BigEndian.Uint16(buf[ihl:]) == sport && binary.BigEndian.Uint16(buf[ihl+2:]) == port {
			return true
		}
	}
	return false
}
