vrrp_instance "VI_1" {
  state             = "BACKUP"
  interface         = "eth0"
  virtual_router_id = 51
  priority          = 100
  virtual_ipaddress = ["10.10.10.21/32"]
}

vrrp_instance "VI_2" {
  state             = "BACKUP"
  interface         = "eth0"
  virtual_router_id = 52
  priority          = 100
  virtual_ipaddress = ["10.10.10.22/32"]
}

virtual_server "10.10.10.21:80" {
  protocol  = "TCP"
  lvs_sched = "rr"
  real_server "10.10.10.31:80" {
    tcp_check {
      connect_timeout = 2
    }
  }
  real_server "10.10.10.32:80" {
    tcp_check {
      connect_timeout = 2
    }
  }
  real_server "10.10.10.33:80" {
    tcp_check {
      connect_timeout = 2
    }
  }
}
