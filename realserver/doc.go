// Package realserver prepares a Linux host to be a real server behind an LVS director in
// direct-routing (DR) mode, and undoes it: each VIP on lo as a /32 (/128), so the host accepts
// packets for it, and net.ipv4.conf.{all,lo}.arp_ignore=1 / arp_announce=2, so it never
// answers or advertises the VIP on the wire (the director owns it there). What Up changed is
// recorded in a state file so that Down reverts exactly that and nothing else. UpTUN does the
// same for tunnelling (TUN) mode, with the VIPs on tunl0, set up, and its rp_filter relaxed.
package realserver
