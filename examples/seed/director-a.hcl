# halvs reference scenario, director A (the preferred master).
# Client → VIP 10.10.10.22:80 → IPVS direct routing → real servers 10.10.10.31 / .32.
# Check it with: halvs check -c examples/seed/director-a.hcl

global {
  router_id = "LVS_DEVEL"
}

vrrp_instance "VI_1" {
  state             = "MASTER"
  interface         = "eth0"
  virtual_router_id = 51
  priority          = 150
  advert_int        = 1 # seconds; a number or a duration string such as "100ms"
  authentication {
    auth_type = "PASS"
    auth_pass = "1111"
  }
  virtual_ipaddress = ["10.10.10.22/32"]
}

virtual_server "10.10.10.22:80" {
  delay_loop          = 6
  lb_algo             = "wrr"
  lb_kind             = "DR"
  protocol            = "TCP"
  persistence_timeout = 0

  real_server "10.10.10.31:80" {
    weight = 3
    tcp_check {
      connect_timeout    = 3
      retry              = 3
      delay_before_retry = 3
      connect_port       = 80
    }
  }
  real_server "10.10.10.32:80" {
    weight = 3
    tcp_check {
      connect_timeout    = 3
      retry              = 3
      delay_before_retry = 3
      connect_port       = 80
    }
  }
}
