package healthcheck

import (
	"context"
	"fmt"
	"time"

	"github.com/miekg/dns"
)

// DNSSpec is a DNS_CHECK block (keepalived check_dns.c): one query over UDP with recursion
// desired; up when an answer with the query's id and RCODE NOERROR arrives within
// connect_timeout.
type DNSSpec struct {
	Conn
	Type uint16 // type; zero: SOA (dns.StringToType maps keepalived's names)
	Name string // name; empty: "." (the root)
}

// Kind implements Spec.
func (DNSSpec) Kind() Kind { return KindDNS }

func (s DNSSpec) resolve(env resolveEnv) (Spec, error) {
	c, err := s.Conn.resolve(env.RealServer)
	if err != nil {
		return nil, fmt.Errorf("DNS_CHECK: %w", err)
	}
	s.Conn = c
	if s.Type == 0 {
		s.Type = dns.TypeSOA
	}
	if s.Name == "" {
		s.Name = "."
	}
	s.Name = dns.Fqdn(s.Name)
	if _, ok := dns.IsDomainName(s.Name); !ok {
		return nil, fmt.Errorf("DNS_CHECK: name %q is not a domain name", s.Name)
	}
	if _, ok := dns.TypeToString[s.Type]; !ok {
		return nil, fmt.Errorf("DNS_CHECK: unknown type %d", s.Type)
	}
	return s, nil
}

func (s DNSSpec) newChecker() (Checker, error) { return &dnsChecker{spec: s}, nil }

type dnsChecker struct{ spec DNSSpec }

func (c *dnsChecker) String() string {
	return fmt.Sprintf("dns_check %v %s %s", c.spec.target(), dns.TypeToString[c.spec.Type], c.spec.Name)
}

func (c *dnsChecker) Check(ctx context.Context) Result {
	start := time.Now()
	m := new(dns.Msg)
	m.SetQuestion(c.spec.Name, c.spec.Type)
	m.RecursionDesired = true
	cl := &dns.Client{Net: "udp", Timeout: c.spec.ConnectTimeout, Dialer: c.spec.dialer("udp")}
	ctx, cancel := context.WithTimeout(ctx, c.spec.ConnectTimeout)
	defer cancel()
	// ExchangeContext checks the reply's id against the query's.
	r, _, err := cl.ExchangeContext(ctx, m, c.spec.target().String())
	lat := time.Since(start)
	switch {
	case err != nil:
		return Result{Err: err, Latency: lat}
	case !r.Response:
		return Result{Err: fmt.Errorf("reply without the QR bit"), Latency: lat}
	case r.Rcode != dns.RcodeSuccess:
		return Result{Err: fmt.Errorf("rcode %s", dns.RcodeToString[r.Rcode]), Latency: lat}
	}
	return Result{OK: true, Latency: lat}
}
