package doctor

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestFirewallUnparsedRules: a rule this reader cannot fully read never turns into a false
// drop. One that may accept (or jumps elsewhere) before the deciding drop makes the verdict
// unknown, naming it; one the understood matches exclude is passed over.
func TestFirewallUnparsedRules(t *testing.T) {
	ipt := func(rules string) Ruleset {
		return ParseIptablesSave("*filter\n:INPUT DROP [0:0]\n:FORWARD ACCEPT [0:0]\n" + rules + "COMMIT\n")
	}
	nft := func(rules string) Ruleset {
		return ParseNft("table inet filter {\n\tchain input {\n\t\ttype filter hook input priority filter; policy drop;\n" +
			rules + "\t}\n}\n")
	}
	const (
		srcAccept = "-A INPUT -s 10.10.10.0/24 -j ACCEPT"
		ufwJump   = "-A INPUT -j ufw-before-input"
	)
	tests := []struct {
		name        string
		rs          Ruleset
		proto       int
		port        uint16
		want, wantR string
	}{
		{"iptables source accept before the policy", ipt(srcAccept + "\n"), 112, 0, VerdictUnknown, srcAccept},
		{"iptables ufw jump", ipt(ufwJump + "\n-A INPUT -p tcp --dport 80 -j ACCEPT\n"), 6, 80, VerdictUnknown, ufwJump},
		{"iptables goto", ipt("-A INPUT -i eth0 -g zone_public\n"), 112, 0, VerdictUnknown, "-A INPUT -i eth0 -g zone_public"},
		{"iptables jump on another interface", ipt("-A INPUT -i eth1 -j zone_public\n"), 112, 0, VerdictDrop, ""},
		{"iptables source accept then an explicit accept", ipt(srcAccept + "\n-A INPUT -p vrrp -j ACCEPT\n"), 112, 0, VerdictAccept, "-A INPUT -p vrrp -j ACCEPT"},
		{"iptables partial tcp accept cannot match VRRP", ipt("-A INPUT -p tcp -s 10.0.0.0/8 -j ACCEPT\n"), 112, 0, VerdictDrop, ""},
		{"iptables partial drop is no proof", ipt("-A INPUT -s 192.0.2.9 -j DROP\n-A INPUT -p vrrp -j ACCEPT\n"), 112, 0, VerdictAccept, "-A INPUT -p vrrp -j ACCEPT"},
		{"iptables negated protocol", ipt("-A INPUT ! -p tcp -j ACCEPT\n"), 6, 80, VerdictUnknown, "-A INPUT ! -p tcp -j ACCEPT"},
		{"iptables state NEW with a port", ipt("-A INPUT -p tcp -m state --state NEW -m tcp --dport 80 -j ACCEPT\n"), 6, 80, VerdictAccept,
			"-A INPUT -p tcp -m state --state NEW -m tcp --dport 80 -j ACCEPT"},
		{"iptables established only never sees a new packet", ipt("-A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT\n"), 6, 80, VerdictDrop, ""},
		{"iptables multiport range", ipt("-A INPUT -p tcp -m multiport --dports 22,8000:8100 -j ACCEPT\n"), 6, 8080, VerdictAccept,
			"-A INPUT -p tcp -m multiport --dports 22,8000:8100 -j ACCEPT"},
		{"iptables interface wildcard", ipt("-A INPUT -i eth+ -p vrrp -j ACCEPT\n"), 112, 0, VerdictAccept, "-A INPUT -i eth+ -p vrrp -j ACCEPT"},
		{"iptables log target goes on", ipt("-A INPUT -j LOG --log-prefix \"in: \"\n"), 112, 0, VerdictDrop, ""},
		{"iptables quoted comment", ipt("-A INPUT -p vrrp -m comment --comment \"vrrp from peers\" -j ACCEPT\n"), 112, 0, VerdictAccept,
			"-A INPUT -p vrrp -m comment --comment \"vrrp from peers\" -j ACCEPT"},
		{"nft source accept", nft("\t\tip saddr 10.10.10.0/24 accept\n"), 112, 0, VerdictUnknown, "ip saddr 10.10.10.0/24 accept"},
		{"nft firewalld zone jump", nft("\t\tct state established,related accept\n\t\tjump filter_INPUT_ZONES\n"), 112, 0, VerdictUnknown, "jump filter_INPUT_ZONES"},
		{"nft state vmap lets new packets on", nft("\t\tct state vmap { invalid : drop, established : accept, related : accept }\n\t\tip protocol vrrp accept\n"),
			112, 0, VerdictAccept, "ip protocol vrrp accept"},
		{"nft state vmap accepts new", nft("\t\tct state vmap { new : accept, invalid : drop }\n"), 112, 0, VerdictAccept,
			"ct state vmap { new : accept, invalid : drop }"},
		{"nft port range", nft("\t\ttcp dport 8000-8100 accept\n"), 6, 8080, VerdictAccept, "tcp dport 8000-8100 accept"},
		{"nft interface set", nft("\t\tiifname { \"eth0\", \"eth1\" } meta l4proto { tcp, vrrp } accept\n"), 112, 0, VerdictAccept,
			"iifname { \"eth0\", \"eth1\" } meta l4proto { tcp, vrrp } accept"},
		{"nft negated interface", nft("\t\tiifname != \"eth1\" accept\n"), 112, 0, VerdictUnknown, "iifname != \"eth1\" accept"},
		{"nft udp accept cannot match VRRP", nft("\t\tudp dport 53 ip saddr 10.0.0.0/8 accept\n"), 112, 0, VerdictDrop, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, rule := tt.rs.Verdict(tt.proto, tt.port, "eth0")
			if diff := cmp.Diff([2]string{tt.want, tt.wantR}, [2]string{v, rule}); diff != "" {
				t.Errorf("verdict, rule (-want +got):\n%s\nrules: %+v", diff, tt.rs.Rules)
			}
		})
	}
}

// TestFirewallCheckNotChecked: doctor says "not checked" where the rules may let the packet
// in, instead of reporting the drop policy.
func TestFirewallCheckNotChecked(t *testing.T) {
	rs := ParseIptablesSave("*filter\n:INPUT DROP [0:0]\n-A INPUT -s 10.10.10.0/24 -j ACCEPT\nCOMMIT\n")
	r := &Report{}
	checkFirewall(&fakeSystem{fw: &rs}, r, []string{"eth0"}, []Service{{Port: 80, Protocol: "TCP"}}, true)
	want := &Report{NotChecked: []string{
		"firewall: VRRP arriving on eth0 not checked: whether the iptables rules let it in depends on a rule this check cannot read: -A INPUT -s 10.10.10.0/24 -j ACCEPT",
		"firewall: TCP port 80 arriving on eth0 not checked: whether the iptables rules let it in depends on a rule this check cannot read: -A INPUT -s 10.10.10.0/24 -j ACCEPT",
	}}
	if diff := cmp.Diff(want, r); diff != "" {
		t.Errorf("report (-want +got):\n%s", diff)
	}
}
