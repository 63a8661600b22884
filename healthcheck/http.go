package healthcheck

import (
	"bytes"
	"context"
	"crypto/md5"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"net"
	"os"
	"strconv"
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
	// EnableSNI sends the virtual host as TLS server name (keepalived enable_sni).
	EnableSNI bool
	// TLSVerify checks the server's certificate chain and name (a halvs addition; keepalived
	// never verifies): the name is the server name sent, else the connect address (an IP SAN).
	// CAFile holds the trusted roots (PEM); empty: the system's.
	TLSVerify bool
	CAFile    string
}

// URL is one url block.
type URL struct {
	Path string
	// StatusCodes lists accepted codes; empty means keepalived's default, 200-299.
	StatusCodes []StatusRange
	// Digest is the hex MD5 of the body (what `genhash` prints); empty: not checked.
	Digest      string
	VirtualHost string
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
		urls[i] = u
	}
	s.URLs = urls
	if !s.TLS && (s.TLSVerify || s.EnableSNI || s.CAFile != "") {
		return nil, fmt.Errorf("%s: TLS options need SSL_GET", kind)
	}
	return s, nil
}

func (s HTTPSpec) newChecker() (Checker, error) {
	c := &httpChecker{spec: s}
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
	c.tls = cfg
	return c, nil
}

type httpChecker struct {
	spec HTTPSpec
	tls  *tls.Config
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
	for _, u := range c.spec.URLs {
		if err := c.get(ctx, u); err != nil {
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
	}
	if vhost != "" {
		return vhost, sni
	}
	return c.spec.target().String(), sni
}

func (c *httpChecker) get(ctx context.Context, u URL) error {
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
	status, sum, err := readResponse(rw, u.Digest != "")
	if err != nil {
		return err
	}
	if !statusAccepted(status, u.StatusCodes) {
		return fmt.Errorf("HTTP status %d not accepted (%s)", status, formatRanges(u.StatusCodes))
	}
	if u.Digest != "" && sum != u.Digest {
		return fmt.Errorf("MD5 digest %s, want %s", sum, u.Digest)
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

const maxHeader = 64 << 10

// readResponse reads the status line and headers, then, if digest is wanted, the body up to
// Content-Length or EOF, returning the MD5 of the raw body bytes as keepalived computes it (no
// transfer decoding).
func readResponse(r io.Reader, digest bool) (status int, sum string, err error) {
	buf := make([]byte, 0, 4096)
	tmp := make([]byte, 4096)
	var end int
	for {
		n, rerr := r.Read(tmp)
		buf = append(buf, tmp[:n]...)
		if end = bytes.Index(buf, []byte("\r\n\r\n")); end >= 0 {
			break
		}
		if rerr != nil {
			if len(buf) == 0 {
				return 0, "", fmt.Errorf("read: no data received: %w", rerr)
			}
			return 0, "", fmt.Errorf("read: incomplete header: %w", rerr)
		}
		if len(buf) > maxHeader {
			return 0, "", errors.New("read: header longer than 64 KiB")
		}
	}
	header, body := buf[:end], buf[end+4:]
	lines := strings.Split(string(header), "\r\n")
	status, err = parseStatusLine(lines[0])
	if err != nil {
		return 0, "", err
	}
	if !digest {
		return status, "", nil
	}
	length := int64(-1)
	for _, l := range lines[1:] {
		k, v, ok := strings.Cut(l, ":")
		if ok && strings.EqualFold(strings.TrimSpace(k), "Content-Length") {
			if n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64); err == nil && n >= 0 {
				length = n
			}
		}
	}
	h := md5.New()
	if err := hashBody(h, body, r, length); err != nil {
		return 0, "", err
	}
	return status, hex.EncodeToString(h.Sum(nil)), nil
}

func hashBody(h hash.Hash, head []byte, r io.Reader, length int64) error {
	if length >= 0 && int64(len(head)) > length {
		head = head[:length]
	}
	h.Write(head)
	if length >= 0 {
		if rest := length - int64(len(head)); rest > 0 {
			if _, err := io.CopyN(h, r, rest); err != nil {
				return fmt.Errorf("read body: %w", err)
			}
		}
		return nil
	}
	if _, err := io.Copy(h, r); err != nil && !errors.Is(err, io.EOF) && !isClosed(err) {
		return fmt.Errorf("read body: %w", err)
	}
	return nil
}

// isClosed accepts a TLS peer that closes without close_notify after the body, as keepalived does.
func isClosed(err error) bool {
	return errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, net.ErrClosed)
}

// parseStatusLine reads "HTTP/1.1 200 OK".
func parseStatusLine(l string) (int, error) {
	proto, rest, ok := strings.Cut(l, " ")
	if !ok || !strings.HasPrefix(proto, "HTTP/") {
		return 0, fmt.Errorf("not an HTTP status line: %.40q", l)
	}
	code, _, _ := strings.Cut(strings.TrimLeft(rest, " "), " ")
	n, err := strconv.Atoi(code)
	if err != nil || n < 100 || n > 999 {
		return 0, fmt.Errorf("bad HTTP status code in %.40q", l)
	}
	return n, nil
}

func statusAccepted(code int, ranges []StatusRange) bool {
	for _, r := range ranges {
		if code >= r.Min && code <= r.Max {
			return true
		}
	}
	return false
}

func formatRanges(rs []StatusRange) string {
	parts := make([]string, len(rs))
	for i, r := range rs {
		if r.Min == r.Max {
			parts[i] = strconv.Itoa(r.Min)
		} else {
			parts[i] = fmt.Sprintf("%d-%d", r.Min, r.Max)
		}
	}
	return strings.Join(parts, ",")
}
