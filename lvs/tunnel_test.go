package lvs

import (
	"strings"
	"testing"
)

func TestTunnelDestinations(t *testing.T) {
	tun := func(tt Tunnel) Destination {
		d := dst("10.10.10.31:80", TUN, 1)
		d.Tunnel = tt
		return d
	}
	for _, tc := range []struct {
		name    string
		d       Destination
		want    string // the rule; "" when invalid
		wantErr string
	}{
		{name: "ipip is plain -i", d: tun(Tunnel{}), want: "-a -t 10.10.10.22:80 -r 10.10.10.31:80 -i -w 1"},
		{name: "gue with a port and csum", d: tun(Tunnel{Type: TunnelGUE, Port: 6080, Csum: TunnelCsumOn}),
			want: "-a -t 10.10.10.22:80 -r 10.10.10.31:80 -i --tun-type gue --tun-port 6080 --tun-csum -w 1"},
		{name: "gue remcsum", d: tun(Tunnel{Type: TunnelGUE, Port: 6080, Csum: TunnelRemCsum}),
			want: "-a -t 10.10.10.22:80 -r 10.10.10.31:80 -i --tun-type gue --tun-port 6080 --tun-remcsum -w 1"},
		{name: "gre", d: tun(Tunnel{Type: TunnelGRE}), want: "-a -t 10.10.10.22:80 -r 10.10.10.31:80 -i --tun-type gre --tun-nocsum -w 1"},
		{name: "gue without a port", d: tun(Tunnel{Type: TunnelGUE}), wantErr: "gue tunnel needs a port"},
		{name: "gre with a port", d: tun(Tunnel{Type: TunnelGRE, Port: 1}), wantErr: "gue tunnel needs a port"},
		{name: "ipip with csum", d: tun(Tunnel{Csum: TunnelCsumOn}), wantErr: "ipip tunnel has no checksum"},
		{name: "gre remcsum", d: tun(Tunnel{Type: TunnelGRE, Csum: TunnelRemCsum}), wantErr: "gre tunnel has no remote checksum"},
		{name: "unknown type", d: tun(Tunnel{Type: 3}), wantErr: "unknown tunnel type"},
		{name: "tunnel without TUN", d: Destination{Addr: rs1.Addr, Forward: DR, Weight: 1, Tunnel: Tunnel{Type: TunnelGRE}}, wantErr: "needs TUN forwarding"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := Validate([]VirtualServer{vs(svc(web, "rr"), tc.d)})
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want one mentioning %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := (Op{Kind: AddDestination, Service: Service{Key: web}, Dest: tc.d}).String(); got != tc.want {
				t.Errorf("rule %q, want %q", got, tc.want)
			}
		})
	}
}
