package keepalivedconf

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func convertString(t *testing.T, src string) (string, []string) {
	t.Helper()
	nodes, diags := Read("k.conf", []byte(src), memOptions(nil))
	if diags.HasErrors() {
		t.Fatalf("read: %v", diags)
	}
	out, cdiags := Convert(nodes)
	return string(out), diagStrings(append(diags, cdiags...))
}

// TestConvertMappings covers each mapping from keepalived's words to the HCL schema, one
// small input each.
func TestConvertMappings(t *testing.T) {
	tests := []struct {
		name      string
		src       string
		want      string
		wantDiags []string
	}{
		{
			name: "global_defs becomes global; lvs_sync_daemon and lvs_timeouts become blocks",
			src: `global_defs {
  router_id R1
  script_user nobody nogroup
  enable_script_security
  lvs_sync_daemon eth1 VI_1 id 9
  lvs_timeouts tcp 900 udp 30
}
global_defs {
  vrrp_version 3
}`,
			want: `global {
  router_id              = "R1"
  script_user            = "nobody nogroup"
  enable_script_security = true
  lvs_sync_daemon {
    interface = "eth1"
    instance  = "VI_1"
    sync_id   = 9
  }
  lvs_timeouts {
    tcp = 900
    udp = 30
  }
  vrrp_version = 3
}
`,
		},
		{
			name: "bare flags, their <BOOL> forms, no_accept and preempt",
			src: `vrrp_instance V {
  nopreempt
  dont_track_primary off
  v3_checksum_as_v2 yes
  no_accept
}
vrrp_instance W {
  accept
  preempt
}`,
			want: `vrrp_instance "V" {
  nopreempt          = true
  dont_track_primary = false
  v3_checksum_as_v2  = true
}

vrrp_instance "W" {
  accept    = true
  nopreempt = false
}
`,
			wantDiags: []string{`k.conf:5: error: no_accept in vrrp_instance "V" left out: halvs refuses no_accept: keepalived enforces it with firewall rules that drop the VIPs' traffic on the MASTER, which IPVS needs to forward; the MASTER of vrrp_instance V accepts traffic to its VIPs, which keepalived's firewall rules would drop`},
		},
		{
			name: "numbers and fractional durations",
			src: `vrrp_instance V {
  virtual_router_id 7
  priority 99
  advert_int 0.25
  version 3
  garp_master_refresh 60
}`,
			want: `vrrp_instance "V" {
  virtual_router_id   = 7
  priority            = 99
  advert_int          = 0.25
  version             = 3
  garp_master_refresh = 60
}
`,
		},
		{
			name: "keepalived's corrections: advert_int rounded, v3 authentication dropped, protocol upper-cased",
			src: `vrrp_instance V {
  advert_int 0.005
  authentication {
    auth_pass x
  }
}
vrrp_instance W {
  version 2
  advert_int 0.5
}
vrrp_instance X {
  advert_int 300
}
vrrp_instance Y {
  advert_int 1.5
  virtual_ipaddress {
    fe80::1
  }
}
global_defs {
  vrrp_version 3
}
virtual_server 10.0.0.1 80 {
  protocol tcp
}`,
			want: `vrrp_instance "V" {
  advert_int = 0.01
}

vrrp_instance "W" {
  version    = 2
  advert_int = 1
}

vrrp_instance "X" {
  advert_int = 40.95
}

vrrp_instance "Y" {
  advert_int        = 1.5
  virtual_ipaddress = ["fe80::1"]
}

global {
  vrrp_version = 3
}

virtual_server "10.0.0.1:80" {
  protocol = "TCP"
}
`,
			wantDiags: []string{
				`k.conf:2: warning: advert_int 0.005 in vrrp_instance "V": VRRPv3 carries hundredths of a second from 0.01 to 40.95; keepalived makes it 0.01, and so does the conversion`,
				`k.conf:3: warning: authentication in vrrp_instance "V" left out: VRRPv3 has no authentication (keepalived ignores it, with an error)`,
				`k.conf:9: warning: advert_int 0.5 in vrrp_instance "W": VRRPv2 carries whole seconds from 1 to 255; keepalived makes it 1, and so does the conversion`,
				`k.conf:12: warning: advert_int 300 in vrrp_instance "X": VRRPv3 carries hundredths of a second from 0.01 to 40.95; keepalived makes it 40.95, and so does the conversion`,
			},
		},
		{
			name: "value blocks become lists in keepalived's string form, repeated blocks accumulate",
			src: `vrrp_instance V {
  virtual_ipaddress {
    10.0.0.1/24 dev eth0 label eth0:1 brd 10.0.0.255 scope global
  }
  virtual_ipaddress {
    2001:db8::1/64 no_track
  }
  track_interface {
    eth1 weight 5
    eth2
  }
  track_script {
    chk_a weight -20 reverse
  }
  unicast_peer {
    10.0.0.2
    10.0.0.3
  }
}`,
			want: `vrrp_instance "V" {
  virtual_ipaddress = ["10.0.0.1/24 dev eth0 label eth0:1 brd 10.0.0.255 scope global", "2001:db8::1/64 no_track"]
  track_interface   = ["eth1 weight 5", "eth2"]
  track_script      = ["chk_a weight -20 reverse"]
  unicast_peer      = ["10.0.0.2", "10.0.0.3"]
}
`,
		},
		{
			name: "scripts keep keepalived's command string; sync group names are words",
			src: `vrrp_sync_group G {
  group {
    VI_1
    VI_2 VI_3
  }
  notify_master "/bin/n.sh 'two words' master"
  notify /bin/all.sh
}
vrrp_script chk {
  script "/bin/check --port 80"
  weight -30 reverse
  user nobody
  init_fail
}`,
			want: `vrrp_sync_group "G" {
  group         = ["VI_1", "VI_2", "VI_3"]
  notify_master = "/bin/n.sh 'two words' master"
  notify        = "/bin/all.sh"
}

vrrp_script "chk" {
  script    = "/bin/check --port 80"
  weight    = -30
  reverse   = true
  user      = "nobody"
  init_fail = true
}
`,
		},
		{
			name: "virtual_server labels, old names, bare persistence_timeout",
			src: `virtual_server 10.0.0.1 80 {
  lb_algo wlc
  lb_kind NAT
  persistence_timeout
  sorry_server 2001:db8::9 8080
}
virtual_server 2001:db8::1 443 {
  lvs_sched mh
  mh-port
  lvs_method TUN
  persistence_timeout 600
}
virtual_server fwmark 3 {
  ip_family inet6
}
virtual_server group G {
  ops
}`,
			want: `virtual_server "10.0.0.1:80" {
  lvs_sched           = "wlc"
  lvs_method          = "NAT"
  persistence_timeout = 360
  sorry_server        = "[2001:db8::9]:8080"
}

virtual_server "[2001:db8::1]:443" {
  lvs_sched           = "mh"
  mh-port             = true
  lvs_method          = "TUN"
  persistence_timeout = 600
}

virtual_server "fwmark:3" {
  ip_family = "inet6"
}

virtual_server "group:G" {
  ops = true
}
`,
		},
		{
			name: "real servers and each checker, upper-case names to lower case",
			src: `virtual_server 10.0.0.1 80 {
  real_server 10.0.0.2 {
    weight 2
    inhibit_on_failure
    TCP_CHECK {
      connect_ip 10.0.0.20
      bindto 10.0.0.1
      nb_get_retry 2
    }
    HTTP_GET {
      url {
        path /
        status_code 200-299 404
      }
      http_protocol 1.1
    }
    SSL_GET {
      url {
        path /x
      }
    }
    MISC_CHECK {
      misc_path "/bin/chk 10.0.0.2"
      misc_dynamic
      user nobody
    }
    DNS_CHECK {
      type AAAA
    }
    UDP_CHECK {
      require_reply 0a XX
    }
    PING_CHECK {
      retry 1
    }
    FILE_CHECK {
      track_file tf
      weight 5 reverse
    }
  }
}`,
			want: `virtual_server "10.0.0.1:80" {
  real_server "10.0.0.2" {
    weight             = 2
    inhibit_on_failure = true
    tcp_check {
      connect_ip = "10.0.0.20"
      bindto     = "10.0.0.1"
      retry      = 2
    }
    http_get {
      url {
        path        = "/"
        status_code = "200-299 404"
      }
      http_protocol = "1.1"
    }
    ssl_get {
      url {
        path = "/x"
      }
    }
    misc_check {
      misc_path    = "/bin/chk 10.0.0.2"
      misc_dynamic = true
      user         = "nobody"
    }
    dns_check {
      type = "AAAA"
    }
    udp_check {
      require_reply = "0aXX"
    }
    ping_check {
      retry = 1
    }
    file_check {
      track_file = "tf"
      weight     = 5
      reverse    = true
    }
  }
}
`,
		},
		{
			name: "virtual_server_group entries and track_file",
			src: `virtual_server_group G {
  10.0.0.1 80
  10.0.0.5-9 80
  2001:db8::1-f 443
  fwmark 4
}
vrrp_track_file tf {
  file /run/tf
  weight -2
}`,
			want: `virtual_server_group "G" {
  vip    = ["10.0.0.1:80", "10.0.0.5-9:80", "[2001:db8::1-f]:443"]
  fwmark = [4]
}

track_file "tf" {
  file   = "/run/tf"
  weight = -2
}
`,
		},
		{
			name: "lvs_notify_fifo; keepalived's owner words are left out as for notify_fifo",
			src: `global_defs {
  lvs_notify_fifo /run/lvs.fifo
  rs_init_notifies
}`,
			want: "global {\n  lvs_notify_fifo  = \"/run/lvs.fifo\"\n  rs_init_notifies = true\n}\n",
		},
		{
			name: "persistence_engine",
			src: `virtual_server 10.0.0.1 5060 {
  protocol UDP
  persistence_timeout 60
  persistence_engine sip
}`,
			want: `virtual_server "10.0.0.1:5060" {
  protocol            = "UDP"
  persistence_timeout = 60
  persistence_engine  = "sip"
}
`,
		},
		{
			name: "hashed is carried over (halvs check says the kernel hashes every service anyway)",
			src: `virtual_server 10.0.0.1 80 {
  protocol TCP
  hashed
}`,
			want: `virtual_server "10.0.0.1:80" {
  protocol = "TCP"
  hashed   = true
}
`,
		},
		{
			name: "a virtual_server_group subnet serves every address of it, as in keepalived",
			src: `virtual_server_group G {
  10.0.2.0/29 80
  2001:db8:1::/126 443
}`,
			want: `virtual_server_group "G" {
  vip = ["10.0.2.0/29:80", "[2001:db8:1::/126]:443"]
}
`,
		},
		{
			name: "a repeated keyword keeps the last value, as keepalived does",
			src: `vrrp_instance V {
  priority 10
  authentication {
    auth_type PASS
  }
  authentication {
    auth_pass 42
  }
  priority 20
}`,
			want: `vrrp_instance "V" {
  priority = 20
  authentication {
    auth_type = "PASS"
    auth_pass = "42"
  }
}
`,
			wantDiags: []string{
				`k.conf:6: warning: authentication is given again in vrrp_instance "V" (first at k.conf:3); its settings are merged`,
				`k.conf:9: warning: priority is given again in vrrp_instance "V" (first at k.conf:2); keepalived keeps the last, and so does the conversion`,
			},
		},
		{
			name: "values that are not numbers, extra words and missing names are left out",
			src: `vrrp_instance V {
  priority high
  interface eth0 eth1
  state
}
vrrp_script {
}
virtual_server 10.0.0.1 80 {
  real_server 10.0.0.2 80
}`,
			want: `vrrp_instance "V" {
  interface = "eth0"
}

virtual_server "10.0.0.1:80" {
}
`,
			wantDiags: []string{
				`k.conf:2: warning: priority needs a number, not "high"; left out`,
				`k.conf:3: warning: interface: the words "eth1" are left out (halvs has no equivalent)`,
				`k.conf:4: warning: state needs a value; left out`,
				`k.conf:6: warning: vrrp_script needs a name; left out`,
				`k.conf:9: warning: real_server needs a { ... } block; left out`,
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, diags := convertString(t, tt.src)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("HCL (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantDiags, diags); diff != "" {
				t.Errorf("diagnostics (-want +got):\n%s", diff)
			}
		})
	}
}

// TestConvertDropped checks that each keyword halvs cannot carry over is reported at its
// file and line, in an included file too, and that the rest is still converted.
func TestConvertDropped(t *testing.T) {
	opts := memOptions(map[string]string{
		"k.conf": `global_defs {
  notification_email {
    ops@example.com
  }
  smtp_server 10.0.0.25
  vrrp_strict
  enable_snmp_checker
  router_id R
}
include extra.conf
`,
		"extra.conf": `vrrp_instance V {
  use_ipvlan
  track_bfd {
    b1
  }
  interfce eth0
  unicast_ttl 64
}
bogus_block {
}
`,
	})
	nodes, diags := ReadFile("k.conf", opts)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	out, cdiags := Convert(nodes)
	want := []string{
		"k.conf:2: warning: notification_email in global left out: halvs sends no e-mail; use a notify script",
		"k.conf:5: warning: smtp_server in global left out: halvs sends no e-mail; use a notify script",
		"k.conf:6: error: vrrp_strict in global left out: halvs has no strict mode (it adds no firewall rules); traffic to the VIPs that keepalived's firewall rules would drop reaches the master",
		"k.conf:7: warning: enable_snmp_checker in global left out: halvs has no SNMP agent; its state is on the control socket and /metrics",
		`extra.conf:2: error: use_ipvlan in vrrp_instance "V" left out: halvs does not create ipvlan interfaces, nor VMACs for addresses on other interfaces (use_vmac in the instance makes the instance's); vrrp_instance V holds its VIPs on its interface, with that interface's MAC address, not on a virtual MAC`,
		`extra.conf:3: error: track_bfd in vrrp_instance "V" left out: halvs has no BFD: no maintained Go BFD implementation interoperates with keepalived's or FRR's bfdd; check the real server with another checker (tcp_check, ping_check) and the peer with VRRP itself; vrrp_instance V no longer changes its priority or goes to FAULT on what track_bfd tracks`,
		`extra.conf:6: warning: unknown keyword "interfce" in vrrp_instance "V", left out (keepalived would reject it too); did you mean "interface"?`,
		`extra.conf:9: warning: unknown keyword "bogus_block" in the top level, left out (keepalived would reject it too)`,
		// Instances are completed once the global settings are known.
		`extra.conf:7: warning: unicast_ttl in vrrp_instance "V" left out: it has no unicast_peer (keepalived resets it, with an error)`,
	}
	if diff := cmp.Diff(want, diagStrings(cdiags)); diff != "" {
		t.Errorf("diagnostics (-want +got):\n%s", diff)
	}
	wantOut := "global {\n  router_id = \"R\"\n}\n\nvrrp_instance \"V\" {\n}\n"
	if diff := cmp.Diff(wantOut, string(out)); diff != "" {
		t.Errorf("HCL (-want +got):\n%s", diff)
	}
}

func TestConvertConfigID(t *testing.T) {
	src := "vrrp_instance V {\n@a priority 200\n@^a priority 100\n}\n"
	for _, tt := range []struct{ id, want string }{{"a", "200"}, {"b", "100"}} {
		opts := memOptions(nil)
		opts.ConfigID = tt.id
		nodes, diags := Read("k.conf", []byte(src), opts)
		if len(diags) > 0 {
			t.Fatal(diags)
		}
		out, _ := Convert(nodes)
		if want := "priority = " + tt.want; !strings.Contains(string(out), want) {
			t.Errorf("config id %q: got\n%s\nwant %q", tt.id, out, want)
		}
	}
}
