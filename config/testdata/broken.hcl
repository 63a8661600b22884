vrrp_instance "VI_1" {
  state             = "MASTER"
  interface         = "eth0"
  priorty           = 150
  virtual_router_id = 256
  virtual_ipaddress = ["10.10.10.300/32"]
}

virtual_server "10.10.10.22:80" {
  protocol = "TCP"

  real_server "[2001:db8::31]:80" {
    weight = 1
  }
}
