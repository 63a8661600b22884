global {
  checker_log_all_failures = true
  ssl {
    ca          = "/etc/keepalived/ca.pem"
    certificate = "/etc/keepalived/client.pem"
    key         = "/etc/keepalived/client.key"
    password    = "s3cret"
  }
}

virtual_server "10.10.10.22:25" {
  protocol        = "TCP"
  lvs_method      = "DR"
  connect_timeout = 4
  real_server "10.10.10.31:25" {
    smtp_check {
      helo_name        = "lb1.example.net"
      retry            = 2
      log_all_failures = true
      fwmark           = 9
    }
  }
  real_server "10.10.10.32:25" {
    smtp_check {
      delay_before_retry = 2
      host {
        connect_ip   = "10.10.10.132"
        connect_port = 2525
        bindto       = "10.10.10.30"
      }
      retry            = 4
      log_all_failures = false
      host {
        connect_timeout = 2
        fwmark          = 11
      }
    }
  }
}

virtual_server "10.10.10.22:80" {
  protocol = "TCP"
  real_server "10.10.10.31:80" {
    http_get {
      fast_recovery = true
      url {
        path             = "/health"
        regex            = "status: (OK|WARN)"
        regex_options    = ["caseless", "multiline"]
        regex_min_offset = 0
        regex_max_offset = 512
      }
      url {
        path           = "/ready"
        regex          = "\\d+ errors?"
        regex_no_match = true
      }
    }
  }
}

virtual_server "10.10.10.22:443" {
  protocol = "TCP"
  real_server "10.10.10.31:443" {
    ssl_get {
      sni_name = "www.example.com"
      url {
        path  = "/"
        regex = "load: [0-5]"
      }
    }
  }
}

virtual_server "10.10.10.22:53" {
  protocol = "UDP"
  real_server "10.10.10.31:53" {
  }
}
