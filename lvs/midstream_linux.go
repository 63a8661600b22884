package lvs

import (
	"errors"
	"fmt"
	"net/netip"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netlink/nl"
	"golang.org/x/sys/unix"
)

// Mid-stream marking: IPVS schedules a TCP packet that has no connection entry only when it
// opens one (SYN), unless sloppy_tcp is set; the director's own stack then answers a
// mid-stream packet with a reset. To hand such packets to another director instead, a tc
// filter on the interface's ingress marks them, and a firewall-mark service, which IPVS
// looks up before the address's own, schedules them to that director (DR). A connection
// the table knows keeps its entry: IPVS finds connections before services. Neither
// vishvananda/netlink nor moby/ipvs has this as one call; these are the few lines that
// drive netlink's clsact qdisc and u32 classifier for it.

// MarkMidStream marks, on dev's ingress, the IPv4 TCP packets to vip on each of ports that
// carry no SYN and no IP options (a u32 filter reads the TCP header at a fixed offset) with
// mark, in filters at preference pref. It adds the clsact qdisc when dev has none and
// leaves it there (other filters may share it). On failure, what it added is removed.
func MarkMidStream(dev string, vip netip.Addr, ports []uint16, pref uint16, mark uint32) error {
	if !vip.Is4() {
		return fmt.Errorf("lvs: mid-stream marking of %v: IPv4 only", vip)
	}
	link, err := netlink.LinkByName(dev)
	if err != nil {
		return fmt.Errorf("lvs: mid-stream marking on %s: %w", dev, err)
	}
	idx := link.Attrs().Index
	qd := &netlink.GenericQdisc{QdiscType: "clsact", QdiscAttrs: netlink.QdiscAttrs{
		LinkIndex: idx, Handle: netlink.MakeHandle(0xffff, 0), Parent: netlink.HANDLE_CLSACT}}
	if err := netlink.QdiscAdd(qd); err != nil && !errors.Is(err, unix.EEXIST) {
		return fmt.Errorf("lvs: clsact qdisc on %s: %w", dev, err)
	}
	addr := vip.As4()
	for _, port := range ports {
		m := mark
		act := netlink.NewSkbEditAction()
		act.Mark = &m
		f := &netlink.U32{
			FilterAttrs: netlink.FilterAttrs{LinkIndex: idx, Parent: netlink.HANDLE_MIN_INGRESS,
				Priority: pref, Protocol: unix.ETH_P_IP},
			Sel: &nl.TcU32Sel{Flags: nl.TC_U32_TERMINAL, Keys: []nl.TcU32Key{
				{Mask: 0x0f000000, Val: 0x05000000, Off: 0},             // IHL 5: no options
				{Mask: 0x00001fff, Val: 0, Off: 4},                      // not a later fragment
				{Mask: 0x00ff0000, Val: unix.IPPROTO_TCP << 16, Off: 8}, // TCP
				{Mask: 0xffffffff, Val: uint32(addr[0])<<24 | uint32(addr[1])<<16 | uint32(addr[2])<<8 | uint32(addr[3]), Off: 16},
				{Mask: 0x0000ffff, Val: uint32(port), Off: 20}, // destination port
				{Mask: 0x00020000, Val: 0, Off: 32},            // SYN clear
			}},
			Actions: []netlink.Action{act},
		}
		if err := netlink.FilterAdd(f); err != nil {
			UnmarkMidStream(dev, pref)
			return fmt.Errorf("lvs: mid-stream filter for %v:%d on %s: %w", vip, port, dev, err)
		}
	}
	return nil
}

// UnmarkMidStream removes the filters MarkMidStream added at preference pref on dev. Absent
// filters, qdisc or interface are success.
func UnmarkMidStream(dev string, pref uint16) error {
	link, err := netlink.LinkByName(dev)
	if err != nil {
		var nf netlink.LinkNotFoundError
		if errors.As(err, &nf) {
			return nil
		}
		return fmt.Errorf("lvs: mid-stream marking on %s: %w", dev, err)
	}
	f := &netlink.U32{FilterAttrs: netlink.FilterAttrs{LinkIndex: link.Attrs().Index,
		Parent: netlink.HANDLE_MIN_INGRESS, Priority: pref, Protocol: unix.ETH_P_IP}}
	if err := netlink.FilterDel(f); err != nil && !errors.Is(err, unix.ENOENT) && !errors.Is(err, unix.EINVAL) {
		return fmt.Errorf("lvs: removing the mid-stream filters on %s: %w", dev, err)
	}
	return nil
}
