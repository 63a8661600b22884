package doctor

import (
	"net"
	"net/netip"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/halvs/halvs/internal/netnstest"
	"github.com/halvs/halvs/realserver"
)

var (
	rsAddr = netip.MustParsePrefix("10.10.10.31/24")
	vip    = netip.MustParseAddr("10.10.10.22")
)

// realServerNS builds a real server as `halvs realserver up` leaves it: NIC ho0 with
// 10.10.10.31/24, the VIP on lo, ARP sysctls set, rp_filter off, a service on *:8080.
func realServerNS(t *testing.T) *netnstest.NS {
	t.Helper()
	lab := netnstest.New(t, "ho")
	br := lab.NewBridge()
	ns := lab.NewNS("rs")
	br.Attach(ns, "ho0", nil, rsAddr)
	for _, k := range []string{"all", "default", "ho0"} {
		if err := ns.WriteSysctl("net/ipv4/conf/"+k+"/rp_filter", "0"); err != nil {
			t.Fatal(err)
		}
	}
	dir := t.TempDir()
	ns.MustDo(func() error {
		h, err := realserver.Open(realserver.Paths{SysctlDir: dir, StateFile: filepath.Join(dir, "state.json")})
		if err != nil {
			return err
		}
		defer h.Close()
		_, err = h.Up([]netip.Addr{vip}, false)
		return err
	})
	return ns
}

func listen(t *testing.T, ns *netnstest.NS, addr string) net.Listener {
	t.Helper()
	var l net.Listener
	ns.MustDo(func() (err error) { l, err = net.Listen("tcp", addr); return })
	t.Cleanup(func() { l.Close() })
	return l
}

func doctorIn(t *testing.T, ns *netnstest.NS) *Report {
	t.Helper()
	var rep *Report
	ns.MustDo(func() error {
		rep = Run(&Live{}, Options{Role: RealServer, VIPs: []netip.Addr{vip},
			Services: []Service{{VIP: vip, Port: 8080, Protocol: "TCP"}}})
		return nil
	})
	return rep
}

func TestRealServerInNamespace(t *testing.T) {
	tests := []struct {
		name    string
		seed    func(t *testing.T, ns *netnstest.NS) // the mistake; nil: none
		check   string                               // the finding expected; "" for a clean report
		warn    bool                                 // check is expected as a warning, not a finding
		fixHas  string
		problem string
	}{
		{name: "clean after realserver up"},
		{name: "arp_ignore unset", check: "arp_ignore", fixHas: "net.ipv4.conf.all.arp_ignore=1", problem: "answers ARP requests for the VIP",
			seed: func(t *testing.T, ns *netnstest.NS) {
				for _, k := range []string{"all", "lo"} {
					if err := ns.WriteSysctl("net/ipv4/conf/"+k+"/arp_ignore", "0"); err != nil {
						t.Fatal(err)
					}
				}
			}},
		{name: "VIP on the NIC", check: "vip", fixHas: "ip addr del 10.10.10.22/32 dev ho0 && halvs realserver up --vip 10.10.10.22", problem: "is on ho0",
			seed: func(t *testing.T, ns *netnstest.NS) { ns.AddAddr("ho0", netip.PrefixFrom(vip, 32)) }},
		{name: "listener on the NIC address only", check: "listener", fixHas: "0.0.0.0:8080", problem: "listens only on 10.10.10.31",
			seed: func(t *testing.T, ns *netnstest.NS) { listen(t, ns, "10.10.10.31:8080") }},
		{name: "strict rp_filter, one NIC", check: "rp_filter", warn: true, fixHas: "sysctl -w net.ipv4.conf.all.rp_filter=2", problem: "harmless while",
			seed: func(t *testing.T, ns *netnstest.NS) {
				if err := ns.WriteSysctl("net/ipv4/conf/all/rp_filter", "1"); err != nil {
					t.Fatal(err)
				}
			}},
		{name: "strict rp_filter, two NICs", check: "rp_filter", fixHas: "sysctl -w net.ipv4.conf.all.rp_filter=2", problem: "this host has ho0, ho1",
			seed: func(t *testing.T, ns *netnstest.NS) {
				ns.Run("ip", "link", "add", "ho1", "type", "veth", "peer", "name", "ho2")
				ns.AddAddr("ho1", netip.MustParsePrefix("192.0.2.31/24"))
				ns.SetLinkUp("ho1", true)
				if err := ns.WriteSysctl("net/ipv4/conf/all/rp_filter", "1"); err != nil {
					t.Fatal(err)
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ns := realServerNS(t)
			if tt.check != "listener" {
				listen(t, ns, "0.0.0.0:8080")
			}
			if tt.seed != nil {
				tt.seed(t, ns)
			}
			rep := doctorIn(t, ns)
			var b strings.Builder
			rep.Write(&b)
			if tt.check == "" {
				if len(rep.Findings)+len(rep.Warnings) > 0 {
					t.Errorf("findings on a correct real server:\n%s", b.String())
				}
				want := []string{"VIP 10.10.10.22 on lo", "arp_ignore >= 1", "arp_announce >= 2", "rp_filter is not strict", "a service listens on 10.10.10.22 port 8080"}
				if diff := cmp.Diff(want, rep.Passed); diff != "" {
					t.Errorf("passed checks (-want +got):\n%s", diff)
				}
				return
			}
			got, other := rep.Findings, rep.Warnings
			if tt.warn {
				got, other = other, got
			}
			if len(got) != 1 || len(other) != 0 {
				t.Fatalf("want exactly one %s (%s), got:\n%s", map[bool]string{false: "finding", true: "warning"}[tt.warn], tt.check, b.String())
			}
			f := got[0]
			if f.Check != tt.check || !strings.Contains(f.Fix, tt.fixHas) || !strings.Contains(f.Problem, tt.problem) {
				t.Errorf("finding %+v, want check %q, fix containing %q, problem containing %q", f, tt.check, tt.fixHas, tt.problem)
			}
		})
	}
}
