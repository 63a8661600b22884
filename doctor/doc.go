// Package doctor checks a director or a real server for the mistakes that break an LVS-DR +
// VRRP setup (the seed's troubleshooting list and what keepalived users hit): ip_vs missing, a
// VIP absent on the master or on a real server's NIC instead of lo, arp_ignore/arp_announce
// unset, the service listening on the NIC address only, a firewall dropping VRRP or the
// service, rp_filter dropping DR traffic, duplicate VRIDs on the segment, an interface the
// config names that the host lacks, a VIP as the director's own primary address, forwarding
// off for lb_kind NAT, and tunl0 missing or down for lb_kind TUN. Each Finding
// says what is wrong and the exact command that fixes it. It only reads the system.
package doctor
