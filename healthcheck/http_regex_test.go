package healthcheck

import (
	"fmt"
	"io"
	"net"
	"net/netip"
	"strings"
	"testing"

	"github.com/halvs/halvs/internal/testutil"
)

// rawHTTP answers every connection with response as it is, then closes it.
func rawHTTP(t *testing.T, response string) netip.AddrPort {
	t.Helper()
	return testutil.Serve(t, "127.0.0.1:0", func(c net.Conn) {
		defer c.Close()
		buf := make([]byte, 1024)
		c.Read(buf)
		io.WriteString(c, response)
	})
}

func TestHTTPRegex(t *testing.T) {
	const body = "0123456789 status: OK\nload: 3\n" // "status" starts at byte 11
	page := rawHTTP(t, fmt.Sprintf("HTTP/1.0 200 OK\r\nContent-Length: %d\r\n\r\n%s", len(body), body))
	noLength := rawHTTP(t, "HTTP/1.0 200 OK\r\n\r\n"+body)
	big := rawHTTP(t, "HTTP/1.0 200 OK\r\n\r\n"+strings.Repeat("x", MaxRegexBody)+"needle")
	status500 := rawHTTP(t, "HTTP/1.0 500 Oops\r\n\r\nstatus: OK")
	url := func(u URL) HTTPSpec { u.Path = "/"; return HTTPSpec{URLs: []URL{u}} }
	tests := []struct {
		name   string
		rs     netip.AddrPort
		spec   HTTPSpec
		errHas string // "" means the check passes
	}{
		{name: "match", rs: page, spec: url(URL{Regex: `status: (OK|WARN)`})},
		{name: "no match", rs: page, spec: url(URL{Regex: `status: DOWN`}), errHas: `body does not match regex "status: DOWN"`},
		{name: "multi-line body, (?m)", rs: page, spec: url(URL{Regex: `(?m)^load: [0-5]$`})},
		{name: "regex_no_match passes when absent", rs: page, spec: url(URL{Regex: `status: DOWN`, RegexNoMatch: true})},
		{name: "regex_no_match fails when present", rs: page, spec: url(URL{Regex: `status`, RegexNoMatch: true}), errHas: "(regex_no_match)"},
		{name: "min offset at the match", rs: page, spec: url(URL{Regex: `status`, RegexMinOffset: 11})},
		{name: "min offset past the match", rs: page, spec: url(URL{Regex: `status`, RegexMinOffset: 12}), errHas: "starting at byte 12 or later"},
		{name: "window starts at the min offset", rs: page, spec: url(URL{Regex: `^status`, RegexMinOffset: 11})},
		{name: "max offset at the match", rs: page, spec: url(URL{Regex: `status`, RegexOffsetLimit: 12})},
		{name: "max offset before the match", rs: page, spec: url(URL{Regex: `status`, RegexOffsetLimit: 11}), errHas: "starting at bytes 0-10"},
		{name: "min past the body", rs: page, spec: url(URL{Regex: `.*`, RegexMinOffset: 1000}), errHas: "does not match"},
		{name: "no Content-Length: read to EOF", rs: noLength, spec: url(URL{Regex: `load: 3`})},
		{name: "regex and digest", rs: page, spec: url(URL{Regex: `OK`, Digest: md5hex(body)})},
		{name: "digest checked before regex", rs: page, spec: url(URL{Regex: `OK`, Digest: md5hex("other")}), errHas: "MD5 digest"},
		{name: "status checked before regex", rs: status500, spec: url(URL{Regex: `OK`}), errHas: "status 500"},
		{name: "only the first MiB is searched", rs: big, spec: url(URL{Regex: `needle`}), errHas: "does not match"},
		{name: "the first MiB is searched", rs: big, spec: url(URL{Regex: `x{100}`})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := check(t, tt.spec, tt.rs)
			if tt.errHas == "" {
				if !r.OK {
					t.Fatalf("check failed: %v", r.Err)
				}
				return
			}
			if r.OK || !strings.Contains(fmt.Sprint(r.Err), tt.errHas) {
				t.Errorf("OK = %v, err = %v; want a failure mentioning %q", r.OK, r.Err, tt.errHas)
			}
		})
	}
}

func TestHTTPRegexSpecErrors(t *testing.T) {
	rs := netip.MustParseAddrPort("10.0.0.1:80")
	tests := []struct {
		name   string
		url    URL
		errHas string
	}{
		{"lookahead", URL{Path: "/", Regex: `status(?=: OK)`}, "RE2 has no lookahead"},
		{"backreference", URL{Path: "/", Regex: `(a)\1`}, "RE2 has no lookahead, lookbehind, backreferences"},
		{"lookbehind", URL{Path: "/", Regex: `(?<=a)b`}, "RE2 has no lookahead"},
		{"possessive", URL{Path: "/", Regex: `a++`}, "RE2 has no lookahead"},
		{"unbalanced", URL{Path: "/", Regex: `(a`}, "missing closing )"},
		{"regex_no_match without regex", URL{Path: "/", RegexNoMatch: true}, "need a regex"},
		{"offsets without regex", URL{Path: "/", RegexMinOffset: 3}, "need a regex"},
		{"min above max", URL{Path: "/", Regex: "a", RegexMinOffset: 5, RegexOffsetLimit: 5}, "regex_min_offset 5 must be at most regex_max_offset 4"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewChecker(HTTPSpec{URLs: []URL{tt.url}}, rs, DefaultTiming(KindHTTP))
			if err == nil || !strings.Contains(err.Error(), tt.errHas) {
				t.Errorf("NewChecker: %v, want an error mentioning %q", err, tt.errHas)
			}
		})
	}
}
