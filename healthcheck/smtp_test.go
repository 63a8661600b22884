package healthcheck

import (
	"bufio"
	"fmt"
	"net"
	"net/netip"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/halvs/halvs/internal/testutil"
)

// smtpServer is a loopback server speaking just enough SMTP: it sends banner, answers HELO with
// helo and QUIT with "221 bye", and records the HELO lines it received. An empty banner sends
// nothing (a server that hangs); a reply of "-" closes the connection instead.
type smtpServer struct {
	banner, helo string
	mu           sync.Mutex
	helos        []string
}

func (s *smtpServer) serve(t *testing.T, ip netip.Addr) netip.AddrPort {
	t.Helper()
	return testutil.Serve(t, netip.AddrPortFrom(ip, 0).String(), s.session)
}

func (s *smtpServer) session(c net.Conn) {
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	if s.banner == "" {
		bufio.NewReader(c).ReadString('\n') // hang until the client gives up
		return
	}
	fmt.Fprint(c, s.banner)
	r := bufio.NewReader(c)
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		switch cmd := strings.ToUpper(strings.TrimSpace(line)); {
		case strings.HasPrefix(cmd, "HELO "):
			s.mu.Lock()
			s.helos = append(s.helos, strings.TrimRight(line, "\r\n"))
			s.mu.Unlock()
			if s.helo == "-" {
				return
			}
			fmt.Fprint(c, s.helo)
		case cmd == "QUIT":
			fmt.Fprint(c, "221 bye\r\n")
			return
		default:
			fmt.Fprint(c, "500 what?\r\n")
		}
	}
}

func (s *smtpServer) lastHelo() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.helos) == 0 {
		return ""
	}
	return s.helos[len(s.helos)-1]
}

func TestSMTPCheck(t *testing.T) {
	host, _ := os.Hostname()
	for _, ip := range loopbacks(t) {
		tests := []struct {
			name     string
			server   *smtpServer
			spec     SMTPSpec
			closed   bool
			want     bool
			errHas   string
			wantHelo string
		}{
			{name: "banner, HELO, QUIT", server: &smtpServer{banner: "220 mx ESMTP\r\n", helo: "250 hello\r\n"},
				spec: SMTPSpec{HeloName: "checker.halvs.test"}, want: true, wantHelo: "HELO checker.halvs.test"},
			{name: "default helo_name is the host name", server: &smtpServer{banner: "220 mx\r\n", helo: "250 hi\r\n"},
				want: true, wantHelo: "HELO " + host},
			{name: "multi-line banner and HELO reply", server: &smtpServer{banner: "220-mx first\r\n220-second\r\n220 last\r\n", helo: "250-mx\r\n250 ok\r\n"},
				want: true},
			{name: "bare code lines", server: &smtpServer{banner: "220\r\n", helo: "250\n"}, want: true},
			{name: "banner refuses service", server: &smtpServer{banner: "554 no service\r\n", helo: "250 hi\r\n"}, errHas: "bad greeting banner"},
			{name: "banner without a code", server: &smtpServer{banner: "hello there\r\n", helo: "250 hi\r\n"}, errHas: "bad greeting banner"},
			{name: "HELO rejected", server: &smtpServer{banner: "220 mx\r\n", helo: "501 bad HELO\r\n"}, errHas: "bad HELO reply"},
			{name: "closed after HELO", server: &smtpServer{banner: "220 mx\r\n", helo: "-"}, errHas: "HELO reply: no reply"},
			{name: "no banner within connect_timeout", server: &smtpServer{}, spec: SMTPSpec{Conn: Conn{ConnectTimeout: 200 * time.Millisecond}},
				errHas: "timeout"},
			{name: "banner line over 512 bytes", server: &smtpServer{banner: "220 " + strings.Repeat("x", 600) + "\r\n"}, errHas: "longer than 512"},
			{name: "endless multi-line reply", server: &smtpServer{banner: strings.Repeat("220-more\r\n", 100)}, errHas: "longer than 64 lines"},
			{name: "nothing listening", closed: true, errHas: "refused"},
		}
		for _, tt := range tests {
			t.Run(ip.String()+"/"+tt.name, func(t *testing.T) {
				var rs netip.AddrPort
				if tt.closed {
					rs = closedPort(t, ip)
				} else {
					rs = tt.server.serve(t, ip)
				}
				r := check(t, tt.spec, rs)
				if r.OK != tt.want {
					t.Fatalf("OK = %v (err %v), want %v", r.OK, r.Err, tt.want)
				}
				if tt.errHas != "" && !strings.Contains(fmt.Sprint(r.Err), tt.errHas) {
					t.Errorf("err = %v, want it to mention %q", r.Err, tt.errHas)
				}
				if tt.wantHelo != "" {
					if got := tt.server.lastHelo(); got != tt.wantHelo {
						t.Errorf("server got %q, want %q", got, tt.wantHelo)
					}
				}
			})
		}
	}
}

// TestSMTPConnectOptions: connect_ip and connect_port override the real server's address, as
// keepalived's host blocks and connection keywords do.
func TestSMTPConnectOptions(t *testing.T) {
	srv := &smtpServer{banner: "220 mx\r\n", helo: "250 hi\r\n"}
	ap := srv.serve(t, netip.MustParseAddr("127.0.0.1"))
	spec := SMTPSpec{Conn: Conn{ConnectIP: ap.Addr(), ConnectPort: ap.Port()}, HeloName: "h"}
	if r := check(t, spec, netip.MustParseAddrPort("127.0.0.1:1")); !r.OK {
		t.Errorf("connect_ip/connect_port ignored: %v", r.Err)
	}
	c, err := NewChecker(spec, netip.MustParseAddrPort("127.0.0.1:1"), DefaultTiming(KindSMTP))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := c.String(), "smtp_check "+ap.String(); got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
}

func TestSMTPSpecErrors(t *testing.T) {
	rs := netip.MustParseAddrPort("10.0.0.1:25")
	for _, spec := range []SMTPSpec{
		{HeloName: "a b"},
		{HeloName: "x\r\nQUIT"},
		{HeloName: strings.Repeat("h", 256)},
		{Conn: Conn{ConnectIP: netip.MustParseAddr("fe80::1")}},
	} {
		if _, err := NewChecker(spec, rs, DefaultTiming(KindSMTP)); err == nil {
			t.Errorf("NewChecker(%+v) succeeded, want an error", spec)
		}
	}
}
