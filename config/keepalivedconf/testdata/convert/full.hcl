global {
  router_id                = "LVS_FULL"
  script_user              = "keepalived_script keepalived_script"
  enable_script_security   = true
  vrrp_version             = 2
  vrrp_garp_master_delay   = 5
  vrrp_garp_master_repeat  = 3
  vrrp_garp_master_refresh = 60
  lvs_sync_daemon {
    interface = "eth1"
    instance  = "VI_1"
    sync_id   = 51
  }
  lvs_timeouts {
    tcp    = 7200
    tcpfin = 120
    udp    = 300
  }
}

vrrp_script "chk_haproxy" {
  script   = "/usr/bin/pgrep -x haproxy"
  interval = 2
  timeout  = 1
  weight   = -20
  rise     = 2
  fall     = 3
}

vrrp_instance "VI_1" {
  state             = "BACKUP"
  interface         = "eth0"
  virtual_router_id = 51
  priority          = 100
  advert_int        = 1
  nopreempt         = true
  preempt_delay     = 10
  authentication {
    auth_type = "PASS"
    auth_pass = "secret"
  }
  unicast_src_ip             = "10.10.10.30"
  unicast_ttl                = 64
  unicast_peer               = ["10.10.10.40 min_ttl 250 max_ttl 255", "10.10.10.41"]
  dont_track_primary         = true
  virtual_ipaddress          = ["10.10.10.22/24 dev eth0 label eth0:1", "10.10.10.23"]
  virtual_ipaddress_excluded = ["192.168.1.10/24 dev eth1"]
  track_interface            = ["eth1 weight -10"]
  track_script               = ["chk_haproxy"]
  garp_master_delay          = 2
  garp_master_refresh        = 30
  accept                     = true
  lower_prio_no_advert       = true
  garp_lower_prio_repeat     = 2
  notify_master              = "/etc/keepalived/notify.sh master"
  notify_backup              = "/etc/keepalived/notify.sh backup"
  notify                     = "/etc/keepalived/notify-all.sh"
}

vrrp_instance "VI_6" {
  state             = "BACKUP"
  interface         = "eth0"
  virtual_router_id = 52
  version           = 3
  advert_int        = 0.5
  virtual_ipaddress = ["fe80::22", "2001:db8::22/64"]
}

vrrp_sync_group "G1" {
  group        = ["VI_1", "VI_6"]
  notify_fault = "/etc/keepalived/notify.sh fault"
}

virtual_server_group "WEB" {
  vip    = ["10.10.10.50:80", "10.10.10.51-53:80"]
  fwmark = [7]
}

virtual_server "10.10.10.22:80" {
  delay_loop              = 6
  lvs_sched               = "wrr"
  lvs_method              = "DR"
  protocol                = "TCP"
  persistence_timeout     = 360
  persistence_granularity = "255.255.255.0"
  quorum                  = 1
  quorum_up               = "/etc/keepalived/quorum.sh up"
  sorry_server            = "10.10.10.99:8080"
  inhibit_on_failure      = true
  alpha                   = true
  real_server "10.10.10.31:80" {
    weight = 3
    http_get {
      url {
        path        = "/health"
        status_code = 200
      }
      url {
        path        = "/"
        digest      = "9b3a0c85a887a256d6939da88aabd8cd"
        status_code = "200-299 301"
      }
      connect_timeout    = 3
      retry              = 3
      delay_before_retry = 2
    }
  }
  real_server "10.10.10.32:80" {
    weight      = 2
    notify_down = "/etc/keepalived/rs.sh down"
    misc_check {
      misc_path    = "/usr/local/bin/check_web 10.10.10.32"
      misc_timeout = 5
      misc_dynamic = true
    }
  }
}

virtual_server "[2001:db8::22]:443" {
  lvs_sched  = "sh"
  sh-port    = true
  lvs_method = "NAT"
  protocol   = "TCP"
  real_server "[2001:db8::31]:443" {
    ssl_get {
      url {
        path = "/"
      }
      enable_sni = true
    }
  }
}

virtual_server "fwmark:7" {
  protocol   = "UDP"
  lvs_sched  = "rr"
  lvs_method = "DR"
  real_server "10.10.10.31:53" {
    dns_check {
      type = "A"
      name = "example.com"
    }
  }
  real_server "10.10.10.32:53" {
    udp_check {
      connect_port  = 53
      payload       = "0a1b"
      require_reply = true
    }
    ping_check {
    }
  }
}

virtual_server "group:WEB" {
  protocol   = "TCP"
  lvs_method = "DR"
  real_server "10.10.10.41:80" {
    tcp_check {
      connect_timeout = 2
    }
  }
}
