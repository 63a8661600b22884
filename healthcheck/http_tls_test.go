package healthcheck

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/pem"
	"math/big"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// sniRecorder records the server name of each TLS ClientHello.
type sniRecorder struct {
	mu   sync.Mutex
	last string
}

func (r *sniRecorder) hook(h *tls.ClientHelloInfo) (*tls.Config, error) {
	r.mu.Lock()
	r.last = h.ServerName
	r.mu.Unlock()
	return nil, nil
}

func (r *sniRecorder) get() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.last
}

// TestSSLGetSNIName: sni_name is the server name sent, over the virtual host, and turns SNI on
// by itself as keepalived's sni_name does; with tls_verify it is the name verified.
func TestSSLGetSNIName(t *testing.T) {
	ip := netip.MustParseAddr("127.0.0.1")
	cfg, caFile := selfSigned(t, ip) // valid for rs.example and 127.0.0.1
	var sni sniRecorder
	cfg.GetConfigForClient = sni.hook
	rs, _ := serveHTTP(t, ip, cfg)
	okURL := []URL{{Path: "/ok", Digest: md5hex(pageBody)}}
	tests := []struct {
		name    string
		spec    HTTPSpec
		want    bool
		wantSNI string
	}{
		{name: "sni_name alone turns SNI on", spec: HTTPSpec{TLS: true, SNIName: "rs.example", URLs: okURL}, want: true, wantSNI: "rs.example"},
		{name: "sni_name wins over the virtual host", spec: HTTPSpec{TLS: true, EnableSNI: true, SNIName: "rs.example", VirtualHost: "www.example.org", URLs: okURL},
			want: true, wantSNI: "rs.example"},
		{name: "verified against sni_name", spec: HTTPSpec{TLS: true, TLSVerify: true, CAFile: caFile, SNIName: "rs.example", VirtualHost: "www.example.org", URLs: okURL},
			want: true, wantSNI: "rs.example"},
		{name: "verification fails on a wrong sni_name", spec: HTTPSpec{TLS: true, TLSVerify: true, CAFile: caFile, SNIName: "other.example", URLs: okURL},
			wantSNI: "other.example"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := check(t, tt.spec, rs)
			if r.OK != tt.want {
				t.Fatalf("OK = %v (err %v), want %v", r.OK, r.Err, tt.want)
			}
			if got := sni.get(); got != tt.wantSNI {
				t.Errorf("SNI = %q, want %q", got, tt.wantSNI)
			}
		})
	}
	if _, err := NewChecker(HTTPSpec{SNIName: "rs.example", URLs: okURL}, rs, DefaultTiming(KindHTTP)); err == nil {
		t.Error("sni_name on http_get accepted, want an error")
	}
}

// testCA is a certificate authority made in the test, issuing client certificates.
type testCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
}

func newTestCA(t *testing.T, name string) *testCA {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	return &testCA{cert: cert, key: key}
}

// issueClient returns a client certificate (PEM) for cn and its key (PKCS#8 DER).
func (ca *testCA) issueClient(t *testing.T, cn string) (certPEM, keyDER []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err = x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), keyDER
}

// encryptPKCS8 encrypts a PKCS#8 key as OpenSSL 3's "openssl pkcs8 -topk8 -v2 aes-256-cbc"
// does: PBES2, PBKDF2 with HMAC-SHA256, AES-256-CBC.
func encryptPKCS8(t *testing.T, keyDER []byte, password string) []byte {
	t.Helper()
	salt, iv := make([]byte, 16), make([]byte, 16)
	rand.Read(salt)
	rand.Read(iv)
	key, err := pbkdf2.Key(sha256.New, password, salt, 2048, 32)
	if err != nil {
		t.Fatal(err)
	}
	pad := 16 - len(keyDER)%16
	plain := append(append([]byte{}, keyDER...), bytes.Repeat([]byte{byte(pad)}, pad)...)
	block, _ := aes.NewCipher(key)
	enc := make([]byte, len(plain))
	cipher.NewCBCEncrypter(block, iv).CryptBlocks(enc, plain)
	mustMarshal := func(v any) []byte {
		b, err := asn1.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	kdf := pkix.AlgorithmIdentifier{Algorithm: oidPBKDF2, Parameters: asn1.RawValue{FullBytes: mustMarshal(pbkdf2Params{
		Salt: salt, Iterations: 2048, PRF: pkix.AlgorithmIdentifier{Algorithm: oidHMACSHA256, Parameters: asn1.NullRawValue}})}}
	scheme := pkix.AlgorithmIdentifier{Algorithm: oidAES256CBC, Parameters: asn1.RawValue{FullBytes: mustMarshal(iv)}}
	info := encryptedPrivateKeyInfo{Algo: pkix.AlgorithmIdentifier{Algorithm: oidPBES2,
		Parameters: asn1.RawValue{FullBytes: mustMarshal(pbes2Params{KDF: kdf, Scheme: scheme})}}, Data: enc}
	return pem.EncodeToMemory(&pem.Block{Type: "ENCRYPTED PRIVATE KEY", Bytes: mustMarshal(info)})
}

// TestSSLGetClientCertificate: an HTTPS server that requires a client certificate issued by
// its CA accepts the checker only with the global ssl block's certificate and key, the key
// plain, PBES2-encrypted or legacy-encrypted with its password.
func TestSSLGetClientCertificate(t *testing.T) {
	ip := netip.MustParseAddr("127.0.0.1")
	cfg, _ := selfSigned(t, ip)
	clientCA := newTestCA(t, "halvs test client CA")
	pool := x509.NewCertPool()
	pool.AddCert(clientCA.cert)
	cfg.ClientAuth, cfg.ClientCAs = tls.RequireAndVerifyClientCert, pool
	var mu sync.Mutex
	var seen string
	cfg.VerifyConnection = func(cs tls.ConnectionState) error {
		if len(cs.PeerCertificates) > 0 {
			mu.Lock()
			seen = cs.PeerCertificates[0].Subject.CommonName
			mu.Unlock()
		}
		return nil
	}
	rs, _ := serveHTTP(t, ip, cfg)

	dir := t.TempDir()
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	certPEM, keyDER := clientCA.issueClient(t, "lb1")
	cert := write("client.pem", certPEM)
	plainKey := write("client.key", pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}))
	pbes2Key := write("client-pbes2.key", encryptPKCS8(t, keyDER, "s3cret"))
	legacyBlock, err := x509.EncryptPEMBlock(rand.Reader, "EC PRIVATE KEY", mustECDER(t, keyDER), []byte("s3cret"), x509.PEMCipherAES256) //nolint:staticcheck // the legacy format under test
	if err != nil {
		t.Fatal(err)
	}
	legacyKey := write("client-legacy.key", pem.EncodeToMemory(legacyBlock))
	otherCert, otherKeyDER := newTestCA(t, "other CA").issueClient(t, "intruder")
	otherCertFile := write("other.pem", otherCert)
	otherKey := write("other.key", pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: otherKeyDER}))

	okURL := []URL{{Path: "/ok", Digest: md5hex(pageBody)}}
	tests := []struct {
		name     string
		cc       ClientCert
		want     bool
		buildErr string // NewChecker fails with this
		wantPeer string
	}{
		{name: "no client certificate: refused", cc: ClientCert{}},
		{name: "plain key", cc: ClientCert{CertFile: cert, KeyFile: plainKey}, want: true, wantPeer: "lb1"},
		{name: "PBES2 key with its password", cc: ClientCert{CertFile: cert, KeyFile: pbes2Key, Password: "s3cret"}, want: true, wantPeer: "lb1"},
		{name: "legacy encrypted key with its password", cc: ClientCert{CertFile: cert, KeyFile: legacyKey, Password: "s3cret"}, want: true, wantPeer: "lb1"},
		{name: "certificate of another CA: refused", cc: ClientCert{CertFile: otherCertFile, KeyFile: otherKey}},
		{name: "wrong password", cc: ClientCert{CertFile: cert, KeyFile: pbes2Key, Password: "guess"}, buildErr: "wrong password"},
		{name: "encrypted key without password", cc: ClientCert{CertFile: cert, KeyFile: pbes2Key}, buildErr: "no password"},
		{name: "key of another certificate", cc: ClientCert{CertFile: cert, KeyFile: otherKey}, buildErr: "private key does not match"},
		{name: "certificate without key", cc: ClientCert{CertFile: cert}, buildErr: "needs both certificate and key"},
		{name: "missing file", cc: ClientCert{CertFile: filepath.Join(dir, "nope.pem"), KeyFile: plainKey}, buildErr: "no such file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			spec := HTTPSpec{TLS: true, ClientCert: tt.cc, URLs: okURL}
			c, err := NewChecker(spec, rs, DefaultTiming(KindSSL))
			if tt.buildErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.buildErr) {
					t.Fatalf("NewChecker: %v, want an error mentioning %q", err, tt.buildErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			mu.Lock()
			seen = ""
			mu.Unlock()
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			r := c.Check(ctx)
			if r.OK != tt.want {
				t.Fatalf("OK = %v (err %v), want %v", r.OK, r.Err, tt.want)
			}
			mu.Lock()
			defer mu.Unlock()
			if seen != tt.wantPeer {
				t.Errorf("server saw client certificate %q, want %q", seen, tt.wantPeer)
			}
		})
	}
	if _, err := NewChecker(HTTPSpec{ClientCert: ClientCert{CertFile: cert, KeyFile: plainKey}, URLs: okURL}, rs, DefaultTiming(KindHTTP)); err == nil {
		t.Error("a client certificate on http_get accepted, want an error")
	}
}

// mustECDER turns a PKCS#8 EC key into SEC 1 DER, the legacy PEM format's content.
func mustECDER(t *testing.T, pkcs8 []byte) []byte {
	t.Helper()
	k, err := x509.ParsePKCS8PrivateKey(pkcs8)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalECPrivateKey(k.(*ecdsa.PrivateKey))
	if err != nil {
		t.Fatal(err)
	}
	return der
}

// TestClientCertOpenSSLKeys loads keys as OpenSSL writes them (PKCS#8 PBES2 by default since
// OpenSSL 3, 3DES PBES2, and the legacy encrypted PEM), when the openssl command is installed.
func TestClientCertOpenSSLKeys(t *testing.T) {
	if _, err := exec.LookPath("openssl"); err != nil {
		t.Skip("openssl not installed")
	}
	dir := t.TempDir()
	run := func(args ...string) {
		t.Helper()
		if out, err := exec.Command("openssl", args...).CombinedOutput(); err != nil {
			t.Fatalf("openssl %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	cert, key := filepath.Join(dir, "c.pem"), filepath.Join(dir, "k.pem")
	run("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-keyout", key, "-out", cert,
		"-days", "1", "-subj", "/CN=lb1", "-passout", "pass:s3cret")
	des3 := filepath.Join(dir, "des3.pem")
	run("pkcs8", "-topk8", "-v2", "des3", "-in", key, "-passin", "pass:s3cret", "-out", des3, "-passout", "pass:s3cret")
	rsaCert, rsaKey := filepath.Join(dir, "rc.pem"), filepath.Join(dir, "rk.pem")
	run("genrsa", "-aes128", "-traditional", "-passout", "pass:s3cret", "-out", rsaKey, "2048")
	run("req", "-x509", "-key", rsaKey, "-passin", "pass:s3cret", "-out", rsaCert, "-days", "1", "-subj", "/CN=lb1")
	for _, cc := range []ClientCert{
		{CertFile: cert, KeyFile: key, Password: "s3cret"},
		{CertFile: cert, KeyFile: des3, Password: "s3cret"},
		{CertFile: rsaCert, KeyFile: rsaKey, Password: "s3cret"},
	} {
		if _, err := cc.load(); err != nil {
			t.Errorf("%s: %v", filepath.Base(cc.KeyFile), err)
		}
	}
}
