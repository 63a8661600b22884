global {
  router_id   = "LVS_DROPPED"
  notify_fifo = "/run/keepalived.fifo"
  lvs_sync_daemon {
    interface = "eth1"
    instance  = "VI_1"
  }
}
static_ipaddress = ["192.168.0.1/24 dev eth0"]

vrrp_instance "VI_1" {
  state             = "MASTER"
  interface         = "eth0"
  virtual_router_id = 51
  priority          = 150
  use_vmac          = true
  mcast_src_ip      = "10.10.10.30"
  nopreempt         = false
  unicast_peer      = ["10.10.10.40 min_ttl 250"]
  virtual_ipaddress = ["10.10.10.22/24 dev eth0 preferred_lft 0 -nodad", "10.10.10.24/24"]
  notify_master     = "/bin/notify.sh master"
}

virtual_server "10.10.10.22:80" {
  protocol = "TCP"
  real_server "10.10.10.31:80" {
    tcp_check {
      fwmark       = 5
      connect_port = 80
    }
  }
}
