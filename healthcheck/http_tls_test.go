package healthcheck

import (
	"crypto/tls"
	"net/netip"
	"sync"
	"testing"
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
