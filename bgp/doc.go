// Package bgp owns what an active-active director announces to its upstream routers: an
// embedded GoBGP speaker (RFC 4271) that peers with the configured neighbors and announces
// each bgp_announce prefix, with the director's own address as next hop, only while every
// virtual server it tracks has its quorum; a withdrawal on quorum loss, on drain and before
// stop; and the dummy interface (halvs0) that holds the announced addresses so that IPVS
// accepts their traffic while ARP never answers for them.
package bgp
