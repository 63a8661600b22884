# Every forwarding method and the scheduler options beside DR; mixed.keepalived.conf says the
# same for keepalived, and the VM tier checks both program the same IPVS table.

global {
  router_id = "LVS_MIXED"
}

# NAT, persistent per /24 of clients, with connection thresholds.
virtual_server "10.10.10.23:8080" {
  lb_algo                 = "rr"
  lb_kind                 = "NAT"
  protocol                = "TCP"
  persistence_timeout     = 300
  persistence_granularity = 24

  real_server "10.10.10.31:80" {
    weight = 1
  }
  real_server "10.10.10.32:80" {
    weight     = 2
    uthreshold = 100
    lthreshold = 10
  }
}

# IP-in-IP tunnelling.
virtual_server "10.10.10.24:80" {
  lb_algo  = "wlc"
  lb_kind  = "TUN"
  protocol = "TCP"

  real_server "10.10.10.31:80" {
    weight = 5
  }
  real_server "10.10.10.32:80" {
    weight = 4
  }
}

# UDP, source hashing including the port.
virtual_server "10.10.10.22:53" {
  lb_algo  = "sh"
  sh-port  = true
  lb_kind  = "DR"
  protocol = "UDP"

  real_server "10.10.10.31:53" {
    weight = 1
  }
  real_server "10.10.10.32:53" {
    weight = 1
  }
}

# A firewall-mark service with maglev hashing and its fallback.
virtual_server "fwmark:7" {
  lb_algo     = "mh"
  mh-fallback = true
  lb_kind     = "DR"

  real_server "10.10.10.31" {
    weight = 2
  }
  real_server "10.10.10.32" {
    weight = 2
  }
}
