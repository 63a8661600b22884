package healthcheck

import (
	"net"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// dnsServer answers SOA and A for example.org., REFUSED for refused.example., NXDOMAIN otherwise,
// and records the last question.
type dnsServer struct {
	mu   sync.Mutex
	last dns.Question
	rd   bool
}

func (s *dnsServer) ServeDNS(w dns.ResponseWriter, r *dns.Msg) {
	s.mu.Lock()
	s.last, s.rd = r.Question[0], r.RecursionDesired
	s.mu.Unlock()
	m := new(dns.Msg)
	m.SetReply(r)
	q := r.Question[0]
	switch q.Name {
	case ".", "example.org.":
		rr, _ := dns.NewRR(q.Name + " 60 IN SOA ns.example.org. admin.example.org. 1 60 60 60 60")
		m.Answer = append(m.Answer, rr)
	case "refused.example.":
		m.Rcode = dns.RcodeRefused
	default:
		m.Rcode = dns.RcodeNameError
	}
	w.WriteMsg(m)
}

func serveDNS(t *testing.T, ip netip.Addr) (netip.AddrPort, *dnsServer) {
	t.Helper()
	pc, err := net.ListenPacket("udp", netip.AddrPortFrom(ip, 0).String())
	if err != nil {
		t.Fatal(err)
	}
	h := &dnsServer{}
	started := make(chan struct{})
	srv := &dns.Server{PacketConn: pc, Handler: h, NotifyStartedFunc: func() { close(started) }}
	go srv.ActivateAndServe()
	<-started
	t.Cleanup(func() { srv.Shutdown() })
	return netip.MustParseAddrPort(pc.LocalAddr().String()), h
}

func TestDNSCheck(t *testing.T) {
	short := Conn{ConnectTimeout: 300 * time.Millisecond}
	for _, ip := range loopbacks(t) {
		rs, h := serveDNS(t, ip)
		tests := []struct {
			name      string
			spec      DNSSpec
			rs        netip.AddrPort
			want      bool
			wantQName string
			wantQType uint16
		}{
			{"defaults: SOA for the root", DNSSpec{Conn: short}, rs, true, ".", dns.TypeSOA},
			{"named query", DNSSpec{Conn: short, Type: dns.TypeA, Name: "example.org"}, rs, true, "example.org.", dns.TypeA},
			{"NXDOMAIN fails", DNSSpec{Conn: short, Name: "missing.example"}, rs, false, "missing.example.", dns.TypeSOA},
			{"REFUSED fails", DNSSpec{Conn: short, Name: "refused.example"}, rs, false, "refused.example.", dns.TypeSOA},
			{"no server", DNSSpec{Conn: short}, closedUDP(t, ip), false, "", 0},
		}
		for _, tt := range tests {
			t.Run(ip.String()+"/"+tt.name, func(t *testing.T) {
				r := check(t, tt.spec, tt.rs)
				if r.OK != tt.want {
					t.Fatalf("OK = %v (err %v), want %v", r.OK, r.Err, tt.want)
				}
				if tt.wantQName == "" {
					return
				}
				h.mu.Lock()
				defer h.mu.Unlock()
				if h.last.Name != tt.wantQName || h.last.Qtype != tt.wantQType || !h.rd {
					t.Errorf("server saw %v (rd %v), want %s %s with recursion desired", h.last, h.rd, tt.wantQName, dns.TypeToString[tt.wantQType])
				}
			})
		}
	}
	if _, err := NewChecker(DNSSpec{Name: "bad..name"}, netip.MustParseAddrPort("10.0.0.1:53"), DefaultTiming(KindDNS)); err == nil {
		t.Error("a bad name was accepted")
	}
}
