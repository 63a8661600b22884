package vrrp

import (
	"fmt"
	"net"
	"net/netip"

	"github.com/mdlayher/arp"
	"github.com/mdlayher/ethernet"
	"github.com/mdlayher/ndp"
)

// garpPackets returns the ARP payloads (without Ethernet header) announcing that mac owns
// addr: a request exactly as keepalived sends it (target hardware address all ones), then a
// reply whose target hardware address is mac itself, as RFC 2002 §4.6 asks of a gratuitous
// reply. Linux takes a reply as gratuitous (overriding the entry at once, without waiting for
// its locktime) only when that target equals the sender (arp_is_garp), and some hosts heed
// only replies, hence both (MetalLB found the same).
func garpPackets(mac net.HardwareAddr, addr netip.Addr) (request, reply []byte, err error) {
	if len(mac) != 6 {
		return nil, nil, fmt.Errorf("hardware address %q is not Ethernet", mac)
	}
	if !addr.Is4() {
		return nil, nil, fmt.Errorf("%s is not an IPv4 address", addr)
	}
	req, err := arp.NewPacket(arp.OperationRequest, mac, addr, ethernet.Broadcast, addr)
	if err != nil {
		return nil, nil, err
	}
	rep, err := arp.NewPacket(arp.OperationReply, mac, addr, mac, addr)
	if err != nil {
		return nil, nil, err
	}
	request, _ = req.MarshalBinary() // MarshalBinary never fails
	reply, _ = rep.MarshalBinary()
	return request, reply, nil
}

// unsolicitedNA returns the neighbour advertisement announcing that mac owns addr (RFC 4861
// §7.2.6): not solicited, override set so that receivers replace a cached address, and the
// target link-layer address option, as keepalived sends it.
func unsolicitedNA(mac net.HardwareAddr, addr netip.Addr) (*ndp.NeighborAdvertisement, error) {
	if len(mac) != 6 {
		return nil, fmt.Errorf("hardware address %q is not Ethernet", mac)
	}
	if !addr.Is6() || addr.Is4In6() {
		return nil, fmt.Errorf("%s is not an IPv6 address", addr)
	}
	return &ndp.NeighborAdvertisement{
		Override:      true,
		TargetAddress: addr,
		Options:       []ndp.Option{&ndp.LinkLayerAddress{Direction: ndp.Target, Addr: mac}},
	}, nil
}
