package healthcheck

import (
	"context"
	"crypto/md5"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"strings"
	"time"
)

// HTTPSpec is an HTTP_GET or SSL_GET block (keepalived check_http.c): for each URL, one
// connection, one GET, and the response must carry an accepted status code and, when a digest is
// given, a body whose MD5 matches. All URLs must pass.
type HTTPSpec struct {
	Conn
	TLS          bool   // SSL_GET
	URLs         []URL  // at least one
	VirtualHost  string // virtualhost: the Host header for URLs without their own
	HTTPProtocol string // http_protocol: "1.0" (default), "1.1" or "1.0C" (1.0 with Connection: close)
	// EnableSNI sends a TLS server name (keepalived enable_sni): SNIName, else the url's or
	// the checker's virtual host. SNIName alone turns it on, as keepalived's sni_name does.
	EnableSNI bool
	SNIName   string
	// TLSVerify checks the server's certificate chain and name (a halvs addition; keepalived
	// never verifies): the name is the server name sent, else the connect address (an IP SAN).
	// CAFile holds the trusted roots (PEM); empty: the system's.
	TLSVerify bool
	CAFile    string
	// ClientCert is presented when the server asks for a client certificate (keepalived's
	// global SSL block; OpenSSL sends it whatever CAs the server names, and so does halvs).
	ClientCert ClientCert
}

// URL is one url block.
type URL struct {
	Path string
	// StatusCodes lists accepted codes; empty means keepalived's default, 200-299.
	StatusCodes []StatusRange
	// Digest is the hex MD5 of the body (what `genhash` prints); empty: not checked.
	Digest      string
	VirtualHost string
	// Regex must match the body (Go's RE2 syntax, on the raw bytes of the first MaxRegexBody
	// bytes); with RegexNoMatch it must not. Empty: not checked.
	Regex        string
	RegexNoMatch bool
	// RegexMinOffset and RegexOffsetLimit bound where the match starts: at or after
	// RegexMinOffset (regex_min_offset), before RegexOffsetLimit (regex_max_offset + 1, as
	// keepalived keeps it; 0: no limit).
	RegexMinOffset   int
	RegexOffsetLimit int
}

// StatusRange is an inclusive range of HTTP status codes (status_code 200-299).
type StatusRange struct{ Min, Max int }

// Kind implements Spec.
func (s HTTPSpec) Kind() Kind {
	if s.TLS {
		return KindSSL
	}
	return KindHTTP
}

func (s HTTPSpec) resolve(env resolveEnv) (Spec, error) {
	kind := s.Kind()
	c, err := s.Conn.resolve(env.RealServer)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", kind, err)
	}
	s.Conn = c
	switch s.HTTPProtocol {
	case "":
		s.HTTPProtocol = "1.0"
	case "1.0", "1.1", "1.0C":
	case "1.0c":
		s.HTTPProtocol = "1.0C"
	default:
		return nil, fmt.Errorf("%s: http_protocol %q: want 1.0, 1.1 or 1.0C", kind, s.HTTPProtocol)
	}
	if len(s.URLs) == 0 {
		return nil, fmt.Errorf("%s: no url", kind)
	}
	urls := make([]URL, len(s.URLs))
	for i, u := range s.URLs {
		if u.Path == "" {
			return nil, fmt.Errorf("%s: url %d has no path", kind, i+1)
		}
		if len(u.StatusCodes) == 0 {
			u.StatusCodes = []StatusRange{{200, 299}}
		}
		for _, r := range u.StatusCodes {
			if r.Min < 100 || r.Max > 599 || r.Min > r.Max {
				return nil, fmt.Errorf("%s: url %s: status_code %d-%d outside 100-599", kind, u.Path, r.Min, r.Max)
			}
		}
		if u.Digest != "" {
			u.Digest = strings.ToLower(u.Digest)
			if b, err := hex.DecodeString(u.Digest); err != nil || len(b) != md5.Size {
				return nil, fmt.Errorf("%s: url %s: digest %q is not 32 hex digits", kind, u.Path, u.Digest)
			}
		}
		if u.Regex == "" && (u.RegexNoMatch || u.RegexMinOffset != 0 || u.RegexOffsetLimit != 0) {
			return nil, fmt.Errorf("%s: url %s: regex_no_match and regex offsets need a regex", kind, u.Path)
		}
		if u.RegexMinOffset < 0 || u.RegexOffsetLimit < 0 || (u.RegexOffsetLimit > 0 && u.RegexMinOffset >= u.RegexOffsetLimit) {
			return nil, fmt.Errorf("%s: url %s: regex_min_offset %d must be at most regex_max_offset %d", kind, u.Path, u.RegexMinOffset, u.RegexOffsetLimit-1)
		}
		if _, err := CompileRegex(u.Regex); err != nil {
			return nil, fmt.Errorf("%s: url %s: regex: %w", kind, u.Path, err)
		}
		urls[i] = u
	}
	s.URLs = urls
	if s.SNIName != "" {
		s.EnableSNI = true
	}
	if !s.TLS && (s.TLSVerify || s.EnableSNI || s.CAFile != "" || s.ClientCert.set()) {
		return nil, fmt.Errorf("%s: TLS options need SSL_GET", kind)
	}
	return s, nil
}

func (s HTTPSpec) newChecker() (Checker, error) {
	c := &httpChecker{spec: s, regexes: make([]*bodyRegex, len(s.URLs))}
	for i, u := range s.URLs {
		var err error
		if c.regexes[i], err = newBodyRegex(u); err != nil {
			return nil, fmt.Errorf("%s: url %s: regex: %w", s.Kind(), u.Path, err)
		}
	}
	if !s.TLS {
		return c, nil
	}
	cfg := &tls.Config{InsecureSkipVerify: !s.TLSVerify} //nolint:gosec // keepalived's behaviour unless tls_verify
	if s.CAFile != "" {
		pem, err := os.ReadFile(s.CAFile)
		if err != nil {
			return nil, fmt.Errorf("SSL_GET: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("SSL_GET: %s holds no PEM certificate", s.CAFile)
		}
		cfg.RootCAs = pool
	}
	if s.ClientCert.set() {
		cert, err := s.ClientCert.load()
		if err != nil {
			return nil, fmt.Errorf("SSL_GET: %w", err)
		}
		cfg.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return &cert, nil }
	}
	c.tls = cfg
	return c, nil
}

type httpChecker struct {
	spec    HTTPSpec
	tls     *tls.Config
	regexes []*bodyRegex // by url; nil where a url has no regex
}

func (c *httpChecker) String() string {
	name := "http_get"
	if c.spec.TLS {
		name = "ssl_get"
	}
	return fmt.Sprintf("%s %v%s", name, c.spec.target(), c.spec.URLs[0].Path)
}

func (c *httpChecker) Check(ctx context.Context) Result {
	start := time.Now()
	for i, u := range c.spec.URLs {
		if err := c.get(ctx, u, c.regexes[i]); err != nil {
			return Result{Err: fmt.Errorf("%s: %w", u.Path, err), Latency: time.Since(start)}
		}
	}
	return Result{OK: true, Latency: time.Since(start)}
}

// host returns the Host header and the TLS server name for url u, as keepalived picks them: the
// url's virtualhost, the checker's, else the target address with its port.
func (c *httpChecker) host(u URL) (host, sni string) {
	vhost := u.VirtualHost
	if vhost == "" {
		vhost = c.spec.VirtualHost
	}
	if c.spec.EnableSNI {
		sni = vhost
		if c.spec.SNIName != "" {
			sni = c.spec.SNIName
		}
	}
	if vhost != "" {
		return vhost, sni
	}
	return c.spec.target().String(), sni
}

func (c *httpChecker) get(ctx context.Context, u URL, re *bodyRegex) error {
	start := time.Now()
	ctx, cancel := context.WithTimeout(ctx, c.spec.ConnectTimeout)
	defer cancel()
	conn, err := c.spec.dialer("tcp").DialContext(ctx, "tcp", c.spec.target().String())
	if err != nil {
		return err
	}
	defer conn.Close()
	// keepalived applies connect_timeout to each read; halvs bounds the whole exchange by it.
	defer bindDeadline(ctx, conn, start, c.spec.ConnectTimeout)()

	host, sni := c.host(u)
	var rw io.ReadWriter = conn
	if c.tls != nil {
		cfg := c.tls.Clone()
		cfg.ServerName = sni
		if cfg.ServerName == "" && c.spec.TLSVerify {
			cfg.ServerName = c.spec.ConnectIP.String() // verify against an IP SAN
		}
		tc := tls.Client(conn, cfg)
		if err := tc.HandshakeContext(ctx); err != nil {
			return fmt.Errorf("TLS handshake: %w", err)
		}
		rw = tc
	}
	if _, err := io.WriteString(rw, c.request(u.Path, host)); err != nil {
		return fmt.Errorf("send request: %w", err)
	}
	keep := 0
	if re != nil {
		keep = MaxRegexBody
	}
	status, sum, body, err := readResponse(rw, u.Digest != "", keep)
	if err != nil {
		return err
	}
	if !statusAccepted(status, u.StatusCodes) {
		return fmt.Errorf("HTTP status %d not accepted (%s)", status, formatRanges(u.StatusCodes))
	}
	if u.Digest != "" && sum != u.Digest {
		return fmt.Errorf("MD5 digest %s, want %s", sum, u.Digest)
	}
	if re != nil {
		return re.check(body)
	}
	return nil
}

// request is keepalived's GET (check_http.c request_template).
func (c *httpChecker) request(path, host string) string {
	minor, closeHdr := "0", ""
	switch c.spec.HTTPProtocol {
	case "1.1":
		minor, closeHdr = "1", "Connection: close\r\n"
	case "1.0C":
		closeHdr = "Connection: close\r\n"
	}
	return "GET " + path + " HTTP/1." + minor + "\r\nUser-Agent: KeepAliveClient\r\n" + closeHdr + "Host: " + host + "\r\n\r\n"
}
