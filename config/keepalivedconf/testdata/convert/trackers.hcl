track_file "drain" {
  file      = "/run/keepalived/drain"
  weight    = -1
  init_file = "0 overwrite"
}

track_file "stop" {
  file      = "/run/keepalived/stop"
  weight    = 0
  reverse   = true
  init_file = true
}

vrrp_track_process "haproxy" {
  process    = "haproxy"
  weight     = 20
  quorum     = 1
  quorum_max = 4
  delay      = 0.5
}

vrrp_track_process "haproxy_cfg" {
  process         = ["/usr/sbin/haproxy", "-f", "/etc/haproxy/haproxy.cfg"]
  param_match     = "partial"
  terminate_delay = 2
}

vrrp_script "chk_dns" {
  script = "/usr/bin/dig @127.0.0.1 example.test"
  weight = -10
}

vrrp_instance "VI_1" {
  state             = "MASTER"
  interface         = "eth0"
  virtual_router_id = 51
  priority          = 150
  virtual_ipaddress = ["10.10.10.22/24"]
  track_file        = ["drain"]
  track_process     = ["haproxy weight -30 reverse"]
}

vrrp_instance "VI_2" {
  state             = "MASTER"
  interface         = "eth1"
  virtual_router_id = 52
  priority          = 150
  virtual_ipaddress = ["10.10.20.22/24"]
}

vrrp_sync_group "G1" {
  group                      = ["VI_1", "VI_2"]
  track_interface            = ["eth2 weight -20"]
  track_script               = ["chk_dns"]
  track_file                 = ["stop"]
  track_process              = ["haproxy_cfg"]
  sync_group_tracking_weight = true
}
