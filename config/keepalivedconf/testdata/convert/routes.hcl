static_ipaddress = ["192.168.1.1/24 dev eth1 scope global", "192.168.1.2/24 brd + dev eth1 label eth1:2"]
static_routes    = ["192.168.2.0/24 via 192.168.1.100 dev eth1", "192.168.100.0/24 table 6909 nexthop via 192.168.101.1 dev eth1 onlink weight 1 nexthop via 192.168.101.2 dev eth1 onlink weight 2"]
static_rules     = ["from 192.168.2.0/24 table 1", "from 192.168.28.0/24 to 192.168.29.0/26 table 7 iif eth1 oif eth0 tos 22 fwmark 24/12 preference 39 realms 30/20", "to 1:2:3:4:5:6:7:0/112 from 7:6:5:4:3:2::/96 table 6908 uidrange 10000-19999 preference 40"]
vrrp_instance "VI_1" {
  state             = "MASTER"
  interface         = "eth0"
  virtual_router_id = 51
  priority          = 150
  virtual_ipaddress = ["10.10.10.22/24 dev eth0 brd + noprefixroute", "10.10.10.23 peer 10.10.20.1/24"]
  virtual_routes    = ["src 192.168.100.1 to 192.168.109.0/24 via 192.168.200.254 dev eth1", "192.168.110.0/24 via 192.168.200.254 dev eth1", "192.168.111.0/24 dev eth2 no_track", "192.168.113.0/24 via 192.168.200.254 or 192.168.100.254 dev eth1", "blackhole 192.168.114.0/24", "0.0.0.0/0 gw 192.168.0.1 table 100"]
  virtual_rules     = ["from 192.168.2.0/24 table 1 preference 100", "to 192.168.2.0/24 table 1 no_track"]
}
