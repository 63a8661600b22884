package healthcheck

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/md5"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/halvs/halvs/internal/testutil"
)

const pageBody = "<html>halvs real server</html>\n"

func md5hex(s string) string { b := md5.Sum([]byte(s)); return hex.EncodeToString(b[:]) }

// webServer serves /ok (200, pageBody), /missing (404), /slow (never answers in time) and /host
// (200, echoes the Host header) and records the last request's Host and protocol.
type webServer struct {
	mu         sync.Mutex
	host, prot string
}

func (w *webServer) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	w.mu.Lock()
	w.host, w.prot = r.Host, r.Proto
	w.mu.Unlock()
	switch r.URL.Path {
	case "/ok":
		fmt.Fprint(rw, pageBody)
	case "/host":
		fmt.Fprint(rw, r.Host)
	case "/slow":
		<-r.Context().Done() // until the checker gives up and closes the connection
	default:
		http.NotFound(rw, r)
	}
}

func (w *webServer) last() (host, proto string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.host, w.prot
}

func serveHTTP(t *testing.T, ip netip.Addr, cfg *tls.Config) (netip.AddrPort, *webServer) {
	t.Helper()
	l, err := net.Listen("tcp", netip.AddrPortFrom(ip, 0).String())
	if err != nil {
		t.Fatal(err)
	}
	if cfg != nil {
		l = tls.NewListener(l, cfg)
	}
	ws := &webServer{}
	srv := &http.Server{Handler: ws, ErrorLog: nil}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	return netip.MustParseAddrPort(l.Addr().String()), ws
}

func TestHTTPGet(t *testing.T) {
	for _, ip := range loopbacks(t) {
		rs, ws := serveHTTP(t, ip, nil)
		tests := []struct {
			name    string
			spec    HTTPSpec
			want    bool
			errHas  string
			rs      netip.AddrPort
			wantHdr string // expected Host header, when checked
		}{
			{name: "200 default status", spec: HTTPSpec{URLs: []URL{{Path: "/ok"}}}, want: true, wantHdr: rs.String()},
			{name: "404 rejected by default", spec: HTTPSpec{URLs: []URL{{Path: "/missing"}}}, errHas: "status 404"},
			{name: "404 accepted when listed", spec: HTTPSpec{URLs: []URL{{Path: "/missing", StatusCodes: []StatusRange{{200, 200}, {404, 404}}}}}, want: true},
			{name: "right digest", spec: HTTPSpec{URLs: []URL{{Path: "/ok", Digest: md5hex(pageBody)}}}, want: true},
			{name: "digest upper case", spec: HTTPSpec{URLs: []URL{{Path: "/ok", Digest: strings.ToUpper(md5hex(pageBody))}}}, want: true},
			{name: "wrong digest", spec: HTTPSpec{URLs: []URL{{Path: "/ok", Digest: md5hex("other")}}}, errHas: "MD5 digest"},
			{name: "all urls must pass", spec: HTTPSpec{URLs: []URL{{Path: "/ok"}, {Path: "/missing"}}}, errHas: "/missing"},
			{name: "virtualhost header", spec: HTTPSpec{VirtualHost: "www.example.org", URLs: []URL{{Path: "/host", Digest: md5hex("www.example.org")}}}, want: true, wantHdr: "www.example.org"},
			{name: "url virtualhost wins", spec: HTTPSpec{VirtualHost: "a.example", URLs: []URL{{Path: "/host", VirtualHost: "b.example", Digest: md5hex("b.example")}}}, want: true, wantHdr: "b.example"},
			{name: "timeout", spec: HTTPSpec{Conn: Conn{ConnectTimeout: 200 * time.Millisecond}, URLs: []URL{{Path: "/slow"}}}, errHas: "timeout"},
			{name: "closed port", spec: HTTPSpec{URLs: []URL{{Path: "/ok"}}}, rs: closedPort(t, ip), errHas: "refused"},
			{name: "http_protocol 1.1", spec: HTTPSpec{HTTPProtocol: "1.1", URLs: []URL{{Path: "/ok", Digest: md5hex(pageBody)}}}, want: true},
		}
		for _, tt := range tests {
			t.Run(ip.String()+"/"+tt.name, func(t *testing.T) {
				target := rs
				if tt.rs.IsValid() {
					target = tt.rs
				}
				r := check(t, tt.spec, target)
				if r.OK != tt.want {
					t.Fatalf("OK = %v (err %v), want %v", r.OK, r.Err, tt.want)
				}
				if tt.errHas != "" && !strings.Contains(fmt.Sprint(r.Err), tt.errHas) {
					t.Errorf("err = %v, want it to mention %q", r.Err, tt.errHas)
				}
				if tt.wantHdr != "" {
					if host, _ := ws.last(); host != tt.wantHdr {
						t.Errorf("Host header = %q, want %q", host, tt.wantHdr)
					}
				}
			})
		}
	}
}

// TestHTTPDigestContentLength: keepalived hashes the body only up to Content-Length; trailing
// bytes a sloppy server sends are ignored. A raw server makes the case.
func TestHTTPDigestContentLength(t *testing.T) {
	rs := testutil.Serve(t, "127.0.0.1:0", func(c net.Conn) {
		defer c.Close()
		buf := make([]byte, 1024)
		c.Read(buf)
		fmt.Fprintf(c, "HTTP/1.0 200 OK\r\nContent-Length: 5\r\n\r\nhello, trailing junk")
	})
	if r := check(t, HTTPSpec{URLs: []URL{{Path: "/", Digest: md5hex("hello")}}}, rs); !r.OK {
		t.Errorf("digest over Content-Length bytes: %v", r.Err)
	}
}

func TestHTTPSpecErrors(t *testing.T) {
	rs := netip.MustParseAddrPort("10.0.0.1:80")
	for _, spec := range []HTTPSpec{
		{},
		{URLs: []URL{{}}},
		{URLs: []URL{{Path: "/", Digest: "abc"}}},
		{URLs: []URL{{Path: "/", StatusCodes: []StatusRange{{99, 200}}}}},
		{URLs: []URL{{Path: "/", StatusCodes: []StatusRange{{300, 200}}}}},
		{URLs: []URL{{Path: "/"}}, HTTPProtocol: "2"},
		{URLs: []URL{{Path: "/"}}, TLSVerify: true},
		{URLs: []URL{{Path: "/"}}, CAFile: "ca.pem"},
	} {
		if _, err := NewChecker(spec, rs, DefaultTiming(spec.Kind())); err == nil {
			t.Errorf("NewChecker(%+v) succeeded, want an error", spec)
		}
	}
}

// selfSigned makes a CA-less self-signed certificate for ip and "rs.example" and writes it as PEM.
func selfSigned(t *testing.T, ip netip.Addr) (*tls.Config, string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "rs.example"},
		DNSNames:              []string{"rs.example"},
		IPAddresses:           []net.IP{ip.AsSlice()},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	cert := tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
	return &tls.Config{Certificates: []tls.Certificate{cert}}, caFile
}

func TestSSLGet(t *testing.T) {
	for _, ip := range loopbacks(t) {
		cfg, caFile := selfSigned(t, ip)
		var sniMu sync.Mutex
		var lastSNI string
		cfg.GetConfigForClient = func(h *tls.ClientHelloInfo) (*tls.Config, error) {
			sniMu.Lock()
			lastSNI = h.ServerName
			sniMu.Unlock()
			return nil, nil
		}
		rs, _ := serveHTTP(t, ip, cfg)
		otherCfg, otherCA := selfSigned(t, ip) // a CA that did not sign rs's certificate
		_ = otherCfg
		okURL := []URL{{Path: "/ok", Digest: md5hex(pageBody)}}
		tests := []struct {
			name    string
			spec    HTTPSpec
			rs      netip.AddrPort
			want    bool
			wantSNI string
		}{
			{name: "no verification by default", spec: HTTPSpec{TLS: true, URLs: okURL}, want: true},
			{name: "wrong status over TLS", spec: HTTPSpec{TLS: true, URLs: []URL{{Path: "/missing"}}}},
			{name: "verify against the right CA by IP", spec: HTTPSpec{TLS: true, TLSVerify: true, CAFile: caFile, URLs: okURL}, want: true},
			{name: "verify with SNI name", spec: HTTPSpec{TLS: true, TLSVerify: true, CAFile: caFile, EnableSNI: true, VirtualHost: "rs.example", URLs: okURL}, want: true, wantSNI: "rs.example"},
			{name: "enable_sni uses virtualhost", spec: HTTPSpec{TLS: true, EnableSNI: true, VirtualHost: "rs.example", URLs: okURL}, want: true, wantSNI: "rs.example"},
			{name: "verify fails on the wrong name", spec: HTTPSpec{TLS: true, TLSVerify: true, CAFile: caFile, EnableSNI: true, VirtualHost: "other.example", URLs: okURL}},
			{name: "verify fails on an unknown CA", spec: HTTPSpec{TLS: true, TLSVerify: true, CAFile: otherCA, URLs: okURL}},
			{name: "plain HTTP to a TLS server fails", spec: HTTPSpec{URLs: okURL}},
			{name: "closed port", spec: HTTPSpec{TLS: true, URLs: okURL}, rs: closedPort(t, ip)},
		}
		for _, tt := range tests {
			t.Run(ip.String()+"/"+tt.name, func(t *testing.T) {
				target := rs
				if tt.rs.IsValid() {
					target = tt.rs
				}
				r := check(t, tt.spec, target)
				if r.OK != tt.want {
					t.Fatalf("OK = %v (err %v), want %v", r.OK, r.Err, tt.want)
				}
				if tt.wantSNI != "" {
					sniMu.Lock()
					got := lastSNI
					sniMu.Unlock()
					if got != tt.wantSNI {
						t.Errorf("SNI = %q, want %q", got, tt.wantSNI)
					}
				}
			})
		}
	}
}
