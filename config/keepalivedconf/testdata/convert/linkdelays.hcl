interface_up_down_delays = ["eth0 0.5 0.2", "eth1 1"]
vrrp_instance "VI_1" {
  interface         = "eth0"
  virtual_router_id = 51
  advert_int        = 1
  virtual_ipaddress = ["10.10.10.22/24"]
}
