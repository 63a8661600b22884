package config_test

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/halvs/halvs/config"
)

func TestCheckVIPAddress(t *testing.T) {
	tests := []struct {
		name   string
		prefix string
		want   string // a substring of the error; "" for none
	}{
		{"host address", "10.10.10.22/24", ""},
		{"host /32", "10.10.10.22/32", ""},
		{"last address of a /31", "10.0.0.1/31", ""},
		{"last address as /32", "10.0.0.255/32", ""},
		{"IPv6 global", "2001:db8::1/64", ""},
		{"IPv6 link-local", "fe80::1/64", ""},
		{"IPv4 loopback", "127.0.0.1/8", "127.0.0.1 is a loopback address"},
		{"IPv4 loopback not .1", "127.0.0.53/32", "127.0.0.53 is a loopback address"},
		{"IPv6 loopback", "::1/128", "::1 is a loopback address"},
		{"IPv4 multicast", "224.0.0.18/32", "224.0.0.18 is a multicast address"},
		{"IPv6 multicast", "ff02::12/128", "ff02::12 is a multicast address"},
		{"limited broadcast", "255.255.255.255/32", "255.255.255.255 is the IPv4 broadcast address"},
		{"subnet broadcast", "10.0.0.255/24", "10.0.0.255 is the broadcast address of 10.0.0.0/24"},
		{"subnet broadcast /30", "10.0.0.7/30", "10.0.0.7 is the broadcast address of 10.0.0.4/30"},
		{"IPv4 unspecified", "0.0.0.0/32", "0.0.0.0 is the unspecified address"},
		{"IPv6 unspecified", "::/128", ":: is the unspecified address"},
		{"IPv4 /0", "10.0.0.1/0", "10.0.0.1/0 has prefix length 0"},
		{"IPv6 /0", "2001:db8::1/0", "2001:db8::1/0 has prefix length 0"},
		{"IPv4 link-local", "169.254.1.1/16", "169.254.1.1 is an IPv4 link-local address"},
		{"IPv4-mapped", "::ffff:10.0.0.1/128", "write the IPv4 address 10.0.0.1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ""
			if err := config.CheckVIPAddress(netip.MustParsePrefix(tt.prefix)); err != nil {
				got = err.Error()
			}
			if tt.want == "" && got != "" || !strings.Contains(got, tt.want) {
				t.Errorf("CheckVIPAddress(%s) = %q, want %q", tt.prefix, got, tt.want)
			}
		})
	}
}

// TestVIPAddressDiagnostics: a VIP the host owns or no host may hold is an error at its
// entry's position, in both lists, and the config is refused.
func TestVIPAddressDiagnostics(t *testing.T) {
	runDiagCases(t, []diagCase{
		{"loopback with dev lo", vi("  virtual_ipaddress = [\"127.0.0.1/8 dev lo\"]\n"),
			[]string{`4:24: error: virtual_ipaddress entry "127.0.0.1/8 dev lo": 127.0.0.1 is a loopback address`}},
		{"second entry", vi("  virtual_ipaddress = [\"192.0.2.1/24\", \"224.0.0.18\"]\n"),
			[]string{`4:40: error: virtual_ipaddress entry "224.0.0.18": 224.0.0.18 is a multicast address`}},
		{"excluded list", vi("  virtual_ipaddress_excluded = [\"0.0.0.0/0\", \"192.0.2.255/24\"]\n"),
			[]string{`4:33: error: virtual_ipaddress_excluded entry "0.0.0.0/0": 0.0.0.0 is the unspecified address`,
				`4:46: error: virtual_ipaddress_excluded entry "192.0.2.255/24": 192.0.2.255 is the broadcast address of 192.0.2.0/24`}},
		{"IPv4 link-local", vi("  virtual_ipaddress = [\"169.254.10.10/16\"]\n"),
			[]string{`4:24: error: virtual_ipaddress entry "169.254.10.10/16": 169.254.10.10 is an IPv4 link-local address`}},
		{"IPv6 link-local first is fine", vi("  virtual_ipaddress = [\"fe80::1/64\", \"2001:db8::1/64\"]\n"), nil},
	})
}

func TestVIPTakeoverOption(t *testing.T) {
	cfg := mustParse(t, vi("  virtual_ipaddress = [\"192.0.2.1/24 dev eth1 takeover\", \"192.0.2.2/24\"]\n"))
	var got []bool
	for _, v := range cfg.VRRPInstances[0].VirtualIPAddresses {
		got = append(got, v.Takeover)
	}
	if diff := cmp.Diff([]bool{true, false}, got); diff != "" {
		t.Errorf("Takeover per entry (-want +got):\n%s", diff)
	}
	if d := cfg.VRRPInstances[0].VirtualIPAddresses[0].Dev; d != "eth1" {
		t.Errorf("dev after takeover = %q, want eth1", d)
	}
}
