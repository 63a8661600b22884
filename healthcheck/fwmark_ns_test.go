package healthcheck

import (
	"context"
	"net/netip"
	"strings"
	"testing"

	"github.com/halvs/halvs/internal/netnstest"
)

// TestFWMarkRouting: a checker's fwmark reaches its socket (SO_MARK), so policy routing sees
// it. In a namespace of its own (root only), a rule prohibits marked traffic ahead of the
// local table; every kind that marks its connection then fails where it passes unmarked.
func TestFWMarkRouting(t *testing.T) {
	lab := netnstest.New(t, "hfm")
	ns := lab.NewNS("mark")
	ns.Run("ip", "rule", "del", "pref", "0", "table", "local")
	ns.Run("ip", "rule", "add", "pref", "100", "table", "local")
	ns.Run("ip", "rule", "add", "pref", "10", "fwmark", "9", "prohibit")

	lo := netip.MustParseAddr("127.0.0.1")
	var smtpAddr, webAddr netip.AddrPort
	ns.MustDo(func() error {
		smtpAddr = (&smtpServer{banner: "220 mx\r\n", helo: "250 hi\r\n"}).serve(t, lo)
		webAddr, _ = serveHTTP(t, lo, nil)
		return nil
	})
	marked := Conn{FWMark: 9}
	otherMark := Conn{FWMark: 8}
	tests := []struct {
		name string
		spec Spec
		rs   netip.AddrPort
		want bool
	}{
		{"smtp_check unmarked", SMTPSpec{HeloName: "h"}, smtpAddr, true},
		{"smtp_check other mark", SMTPSpec{Conn: otherMark, HeloName: "h"}, smtpAddr, true},
		{"smtp_check fwmark 9", SMTPSpec{Conn: marked, HeloName: "h"}, smtpAddr, false},
		{"tcp_check fwmark 9", TCPSpec{Conn: marked}, smtpAddr, false},
		{"tcp_check unmarked", TCPSpec{}, smtpAddr, true},
		{"http_get fwmark 9", HTTPSpec{Conn: marked, URLs: []URL{{Path: "/ok"}}}, webAddr, false},
		{"http_get unmarked", HTTPSpec{URLs: []URL{{Path: "/ok"}}}, webAddr, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := NewChecker(tt.spec, tt.rs, DefaultTiming(tt.spec.Kind()))
			if err != nil {
				t.Fatal(err)
			}
			var r Result
			ns.MustDo(func() error { r = c.Check(context.Background()); return nil })
			if r.OK != tt.want {
				t.Fatalf("%v: OK = %v (err %v), want %v", c, r.OK, r.Err, tt.want)
			}
			if !tt.want && !strings.Contains(r.Err.Error(), "permission denied") {
				t.Errorf("%v: err %v, want the prohibit rule's EACCES", c, r.Err)
			}
		})
	}
}
