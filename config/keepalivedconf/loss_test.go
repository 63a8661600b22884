package keepalivedconf

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/halvs/halvs/config"
)

// TestConvertLosses: every keyword left out is a cosmetic warning or a behavioural error
// that ends with its consequence; words keepalived ignores too cost nothing.
func TestConvertLosses(t *testing.T) {
	tests := []struct {
		name       string
		src        string
		want       []string
		wantLosses int
	}{
		{
			name: "process tuning, SNMP, DBus and e-mail are cosmetic",
			src: `global_defs {
  checker_rt_priority 50
  checker_cpu_affinity 1
  lvs_netlink_cmd_rcv_bufs 1024
  enable_dbus
  enable_snmp_checker
  smtp_server 10.0.0.25
  checker_priority -10
}`,
			want: []string{
				"k.conf:2: warning: checker_rt_priority in global left out: halvs does not support it",
				"k.conf:3: warning: checker_cpu_affinity in global left out: halvs does not support it",
				"k.conf:4: warning: lvs_netlink_cmd_rcv_bufs in global left out: halvs does not support it",
				"k.conf:5: warning: enable_dbus in global left out: halvs does not support it",
				"k.conf:6: warning: enable_snmp_checker in global left out: halvs has no SNMP agent; its state is on the control socket and /metrics",
				"k.conf:7: warning: smtp_server in global left out: halvs sends no e-mail; use a notify script",
				"k.conf:8: warning: checker_priority in global left out: halvs does not support it",
			},
		},
		{
			name: "a real server whose only checker is left out has none now",
			src: `virtual_server 10.0.0.1 443 {
  protocol TCP
  real_server 10.0.0.12 443 {
    BFD_CHECK {
    }
  }
  real_server 10.0.0.13 443 {
    BFD_CHECK {
    }
    TCP_CHECK {
    }
  }
  real_server 10.0.0.14 443 {
    TCP_CHEK {
    }
  }
}`,
			want: []string{
				`k.conf:4: error: BFD_CHECK in real_server "10.0.0.12:443" left out: ` + droppedOr("BFD_CHECK") + `; real server 10.0.0.12:443 has no checker now and stays in the table whatever its health`,
				`k.conf:8: error: BFD_CHECK in real_server "10.0.0.13:443" left out: ` + droppedOr("BFD_CHECK") + `; real server 10.0.0.13:443 is no longer checked by BFD_CHECK: its other checkers alone decide its health`,
				`k.conf:14: warning: unknown keyword "TCP_CHEK" in real_server "10.0.0.14:443", left out (keepalived would reject it too); did you mean "TCP_CHECK"?`,
			},
			wantLosses: 2,
		},
		{
			name: "VRRP, routing and LVS keywords are behavioural",
			src: `global_defs {
  vrrp_strict
  lvs_sync_daemon eth1 VI_1 maxlen 1500 port 8848
}
static_routes {
  10.1.0.0/16 via 10.0.0.254 encap mpls 200
  10.3.0.0/16 via 10.0.0.254
}
vrrp_instance VI_1 {
  no_accept
  virtual_ipaddress {
    10.0.0.100/24 peer 10.0.0.200 -nodad
  }
  virtual_routes {
    fd00:1::/64 from fd00:2::/64 dev eth0
    10.2.0.0/16 via 10.0.0.254
  }
}`,
			want: []string{
				"k.conf:2: error: vrrp_strict in global left out: halvs has no strict mode (it adds no firewall rules); traffic to the VIPs that keepalived's firewall rules would drop reaches the master",
				`k.conf:3: warning: lvs_sync_daemon: "maxlen 1500" left out (halvs uses the kernel's default)`,
				`k.conf:3: error: lvs_sync_daemon: "port 8848" left out (halvs uses the kernel's default); the sync daemon uses the kernel's default port and does not reach a peer set to 8848: connections break on failover`,
				`k.conf:6: error: static_routes entry "10.1.0.0/16 via 10.0.0.254 encap mpls 200" left out: encap is not supported by halvs: lightweight tunnel encapsulation (MPLS, IP, ILA) is not programmed by halvs; this route is no longer set when halvs starts`,
				`k.conf:10: error: no_accept in vrrp_instance "VI_1" left out: halvs refuses no_accept: keepalived enforces it with firewall rules that drop the VIPs' traffic on the MASTER, which IPVS needs to forward; the MASTER of vrrp_instance VI_1 accepts traffic to its VIPs, which keepalived's firewall rules would drop`,
				`k.conf:12: warning: virtual_ipaddress 10.0.0.100/24: the prefix is left out: with peer, keepalived takes the peer's prefix length`,
				`k.conf:15: error: virtual_routes entry "fd00:1::/64 from fd00:2::/64 dev eth0" left out: from (an IPv6 source-specific route) cannot be expressed through the netlink library halvs uses; use a rule (virtual_rules) to select a table instead; this route is no longer added when the instance becomes MASTER`,
			},
			wantLosses: 5,
		},
		{
			name: "a virtual_server_group entry halvs cannot read",
			src: `virtual_server_group G {
  10.0.0.1
}`,
			want: []string{
				`k.conf:2: error: virtual_server_group entry "10.0.0.1" left out: halvs needs ADDRESS PORT or fwmark N; virtual_server_group G no longer holds it: its virtual servers do not serve it`,
			},
			wantLosses: 1,
		},
		{
			name: "an unsupported keyword without a known reason says what runs without it",
			src: `virtual_server 10.0.0.1 80 {
  protocol TCP
  weight 5
  real_server 10.0.0.2 80 {
    HTTP_GET {
      url {
        path /
        regex_stack 1 2
      }
    }
  }
}`,
			want: []string{
				`k.conf:3: error: weight in virtual_server "10.0.0.1:80" left out: halvs does not support it; virtual server 10.0.0.1:80 is programmed and checked without weight`,
				`k.conf:8: warning: regex_stack in url of http_get of real_server "10.0.0.2:80" left out: ` + droppedOr("regex_stack"),
			},
			wantLosses: 1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			nodes, diags := Read("k.conf", []byte(tt.src), memOptions(nil))
			if diags.HasErrors() {
				t.Fatalf("read: %v", diags)
			}
			_, cdiags := Convert(nodes)
			if diff := cmp.Diff(tt.want, diagStrings(cdiags)); diff != "" {
				t.Errorf("diagnostics (-want +got):\n%s", diff)
			}
			if got := cdiags.Losses(); got != tt.wantLosses {
				t.Errorf("%d losses, want %d", got, tt.wantLosses)
			}
			for _, d := range cdiags {
				if d.Loss != (d.Severity == Error) {
					t.Errorf("a loss is an error and an error a loss: %v (Loss %v)", d, d.Loss)
				}
			}
		})
	}
}

// droppedOr is the reason the converter gives for a keyword: its droppedReasons entry, or
// the generic one. (Another part of halvs may give a keyword a reason of its own.)
func droppedOr(kw string) string {
	if r := droppedReasons[kw]; r != "" {
		return r
	}
	return "halvs does not support it"
}

// TestCommentOf: a comment is '#' or '!' outside double quotes, not escaped.
func TestCommentOf(t *testing.T) {
	tests := []struct {
		line, want string
		ok         bool
	}{
		{"router_id A   # this director", "this director", true},
		{"! Configuration File", "Configuration File", true},
		{`notify "/bin/x # not a comment" # a comment`, "a comment", true},
		{`script /bin/echo \# not a comment`, "", false},
		{"priority 100", "", false},
		{"#", "", false},
	}
	for _, tt := range tests {
		got, ok := commentOf(tt.line)
		if got != tt.want || ok != tt.ok {
			t.Errorf("commentOf(%q) = %q, %v; want %q, %v", tt.line, got, ok, tt.want, tt.ok)
		}
	}
}

// TestConvertFlatKeepsComments: comment lines above a statement and a comment at the end
// of its line are written above what the statement becomes; Convert leaves them out.
func TestConvertFlatKeepsComments(t *testing.T) {
	src := `! Configuration File for keepalived
global_defs {
   router_id LVS_A   # this director
}

# the web instance
vrrp_instance VI_1 { # VI
    interface eth0
    virtual_router_id 51
    # VIPs of the web tier
    virtual_ipaddress {
        10.0.0.100/24 # not kept: entries are list items
    }
}
# a comment at the end is lost
`
	tree, diags := ReadTreeFrom("k.conf", []byte(src), memOptions(nil))
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	want := `# Configuration File for keepalived
global {
  # this director
  router_id = "LVS_A"
}

# the web instance
# VI
vrrp_instance "VI_1" {
  interface         = "eth0"
  virtual_router_id = 51
  # VIPs of the web tier
  virtual_ipaddress = ["10.0.0.100/24"]
}
`
	got, _ := ConvertFlat(tree)
	if diff := cmp.Diff(want, string(got)); diff != "" {
		t.Errorf("ConvertFlat (-want +got):\n%s", diff)
	}
	plain, _ := Convert(tree.Nodes)
	if strings.Contains(string(plain), "#") {
		t.Errorf("Convert writes comments:\n%s", plain)
	}
}

// TestConvertFlatLatin1Comment: a comment that is not UTF-8 (keepalived does not care)
// is written with replacement characters, so that the output still loads.
func TestConvertFlatLatin1Comment(t *testing.T) {
	tree, diags := ReadTreeFrom("k.conf", []byte("# r\xe9seau interne\nglobal_defs {\n  router_id A\n}\n"), memOptions(nil))
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	out, _ := ConvertFlat(tree)
	if !strings.HasPrefix(string(out), "# r\uFFFDseau interne\nglobal {") {
		t.Errorf("output:\n%s", out)
	}
	if _, cdiags := config.Parse(out, "out.hcl"); cdiags.HasErrors() {
		t.Errorf("the output does not load:\n%s", cdiags)
	}
}
