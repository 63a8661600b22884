package director

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"io"
	"log"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/halvs/halvs/healthcheck"
)

// TestSSLGetVerifyFromConfig follows ssl_get's tls_verify and ca_file from the configuration
// through TranslateHealth to a checker run against a TLS server: the server's own CA passes,
// a CA that did not sign it fails, and without tls_verify any certificate passes (keepalived).
func TestSSLGetVerifyFromConfig(t *testing.T) {
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshake is expected
	srv.StartTLS()
	t.Cleanup(srv.Close)
	addr := netip.MustParseAddrPort(srv.Listener.Addr().String())
	dir := t.TempDir()
	writePEM := func(name string, der []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	rightCA := writePEM("right.pem", srv.Certificate().Raw)
	wrongCA := writePEM("wrong.pem", selfSignedCA(t)) // signs nothing of srv's

	tests := []struct {
		name   string
		verify string
		want   bool
	}{
		{"no verification by default", "", true},
		{"verified against the server's CA", fmt.Sprintf("tls_verify = true\n      ca_file = %q", rightCA), true},
		{"refused by another CA", fmt.Sprintf("tls_verify = true\n      ca_file = %q", wrongCA), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := parse(t, fmt.Sprintf(`
virtual_server "10.10.10.22:443" {
  protocol = "TCP"
  lb_algo  = "rr"
  lb_kind  = "NAT"
  real_server %q {
    ssl_get {
      %s
      url {
        path = "/"
      }
    }
  }
}
`, addr, tt.verify))
			plans, err := TranslateHealth(cfg, fakeUsers)
			if err != nil {
				t.Fatal(err)
			}
			check := plans[0].VS.RealServers[0].Checks[0]
			c, err := healthcheck.NewChecker(check.Spec, addr, check.Timing)
			if err != nil {
				t.Fatal(err)
			}
			if r := c.Check(context.Background()); r.OK != tt.want {
				t.Errorf("OK = %v (err %v), want %v", r.OK, r.Err, tt.want)
			}
		})
	}
}

// selfSignedCA returns the DER of a fresh CA certificate.
func selfSignedCA(t *testing.T) []byte {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "halvs test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return der
}
