package config

import (
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"

	"github.com/halvs/halvs/healthcheck"
	"github.com/halvs/halvs/lvs"
)

// Every checker block follows one pattern: the common keywords (connectAttrs for checkers
// that open a connection, timingAttrs for all but file_check), then its own.
var (
	connectAttrs = []string{"connect_ip", "connect_port", "bindto", "bind_port", "bind_if", "connect_timeout", "fwmark"}
	timingAttrs  = []string{"retry", "nb_get_retry", "delay_before_retry", "delay_loop", "warmup", "alpha", "log_all_failures"}
)

var checkerSchemas = map[healthcheck.Kind]schema{
	healthcheck.KindTCP:  {attrs: concat(connectAttrs, timingAttrs)},
	healthcheck.KindPing: {attrs: concat(connectAttrs, timingAttrs)},
	healthcheck.KindHTTP: {attrs: concat(connectAttrs, timingAttrs, []string{"http_protocol", "virtualhost", "fast_recovery"}), blocks: []string{"url"}},
	healthcheck.KindSSL:  {attrs: concat(connectAttrs, timingAttrs, []string{"http_protocol", "virtualhost", "fast_recovery", "enable_sni", "sni_name", "tls_verify", "ca_file"}), blocks: []string{"url"}},
	healthcheck.KindDNS:  {attrs: concat(connectAttrs, timingAttrs, []string{"type", "name"})},
	healthcheck.KindUDP:  {attrs: concat(connectAttrs, timingAttrs, []string{"payload", "require_reply", "min_reply_length", "max_reply_length"})},
	healthcheck.KindMisc: {attrs: concat(timingAttrs, []string{"misc_path", "misc_timeout", "misc_dynamic", "user"})},
	healthcheck.KindFile: {attrs: []string{"track_file", "dynamic", "weight", "reverse"}},
	healthcheck.KindSMTP: {attrs: concat(connectAttrs, timingAttrs, []string{"helo_name"}), blocks: []string{"host"}},
}

func concat(lists ...[]string) []string {
	var out []string
	for _, l := range lists {
		out = append(out, l...)
	}
	return out
}

// checker decodes one checker block of a real server and resolves every value
// (checker → real server → virtual server → keepalived's default for the kind).
func (d *decoder) checker(kind healthcheck.Kind, blk *hclsyntax.Block, rs RealServer, in inherited) (Checker, bool) {
	b := d.open(fmt.Sprintf("%s of real_server %q", checkerBlock(kind), rs.Addr), blk.Body, blk.DefRange(), checkerSchemas[kind])
	c := Checker{Kind: kind, ConnectIP: rs.Addr.Addr(), ConnectPort: rs.Addr.Port(), Source: b.src}
	if kind != healthcheck.KindFile {
		d.checkerCommon(b, &c, in)
	}
	switch kind {
	case healthcheck.KindHTTP, healthcheck.KindSSL:
		c.HTTP = d.httpCheck(b, kind, in.virtualhost)
	case healthcheck.KindMisc:
		c.Misc = d.miscCheck(b, blk, c.DelayLoop)
	case healthcheck.KindDNS:
		c.DNS = b.dnsCheck()
	case healthcheck.KindUDP:
		c.UDP = b.udpCheck()
	case healthcheck.KindFile:
		c.File = d.fileCheck(b, blk)
	case healthcheck.KindSMTP:
		c.SMTP = &SMTPCheck{}
		// The HELO argument is one word of printable ASCII (a domain name or address
		// literal): a space or line break would end the command early or start another.
		if b.str("helo_name", &c.SMTP.HeloName) && (c.SMTP.HeloName == "" || len(c.SMTP.HeloName) > 255 ||
			strings.IndexFunc(c.SMTP.HeloName, func(r rune) bool { return r <= ' ' || r > '~' }) >= 0) {
			b.errorf("helo_name", "helo_name must be one word of printable ASCII, 1 to 255 characters (a domain name such as \"lb1.example.net\")")
		}
	}
	if c.ConnectPort == 0 && kind != healthcheck.KindPing && kind != healthcheck.KindMisc && kind != healthcheck.KindFile {
		d.errorf(blk.DefRange(), "%s of a real server without a port needs connect_port", checkerBlock(kind))
	}
	return c, true
}

func (d *decoder) checkerCommon(b *block, c *Checker, in inherited) {
	b.connection(c)
	d.checkerTiming(b, c, in)
}

// connection reads the keywords of keepalived's conn_opts (connect_ip … fwmark) but
// connect_timeout, which is inherited.
func (b *block) connection(c *Checker) {
	var s string
	if b.str("connect_ip", &s) {
		a, err := parseAddr(s)
		if err != nil {
			b.errorf("connect_ip", "connect_ip: %v", err)
		}
		c.ConnectIP = a
	}
	var port int
	if b.integer("connect_port", &port, 1, 65535) {
		c.ConnectPort = uint16(port)
	}
	if b.str("bindto", &s) {
		a, err := parseAddr(s)
		if err != nil {
			b.errorf("bindto", "bindto: %v", err)
		} else if a.Is4() != c.ConnectIP.Is4() {
			b.errorf("bindto", "bindto %s is not in the family of the address checked (%s)", a, c.ConnectIP)
		}
		c.BindTo = a
	}
	if b.integer("bind_port", &port, 1, 65535) {
		c.BindPort = uint16(port)
	}
	var mark int
	if b.integer("fwmark", &mark, 1, 1<<32-1) {
		c.FWMark = uint32(mark)
	}
	if c.FWMark != 0 && c.Kind == healthcheck.KindPing {
		b.errorf("fwmark", "fwmark marks a checker's TCP or UDP connection; ping_check's ICMP echo is not marked")
	}
}

func (d *decoder) checkerTiming(b *block, c *Checker, in inherited) {
	if b.str("bind_if", &c.BindIf) {
		if err := checkIfName(c.BindIf); err != nil {
			b.errorf("bind_if", "bind_if: %v", err)
		}
	}
	if b.has("nb_get_retry") {
		b.warnf("nb_get_retry", "nb_get_retry is the old name of retry (keepalived 2.x dropped it); write retry")
	}
	in = in.read(b)
	if name := b.synonym("retry", "nb_get_retry"); name == "nb_get_retry" {
		var r int
		if b.integer(name, &r, 0, 1000) {
			in.retry = &r
		}
	}
	c.DelayLoop, c.Alpha = in.delayLoop, in.alpha
	b.boolean("log_all_failures", &c.LogAllFailures)
	c.ConnectTimeout = 5 * time.Second
	if in.connectTimeout != nil {
		c.ConnectTimeout = *in.connectTimeout
	}
	switch c.Kind {
	case healthcheck.KindMisc:
		c.Retry = 0
	case healthcheck.KindDNS:
		c.Retry = 3
	default:
		c.Retry = 1
	}
	if in.retry != nil {
		c.Retry = *in.retry
	}
	switch c.Kind {
	case healthcheck.KindHTTP, healthcheck.KindSSL:
		c.DelayBeforeRetry = 3 * time.Second
	case healthcheck.KindDNS:
		c.DelayBeforeRetry = c.DelayLoop
	default:
		c.DelayBeforeRetry = time.Second
	}
	if in.delayBeforeRetry != nil {
		c.DelayBeforeRetry = *in.delayBeforeRetry
	}
	c.Warmup = c.DelayLoop
	if in.warmup != nil {
		c.Warmup = *in.warmup
	}
	if c.ConnectTimeout <= 0 && c.Kind != healthcheck.KindMisc {
		b.errorf("connect_timeout", "connect_timeout must be more than 0")
	}
}

// checkers decodes a checker block into the checkers it stands for: one, or for a smtp_check
// with host blocks one per host, plus the block's own when it sets a connection keyword
// (keepalived's smtp_check_end_handler).
func (d *decoder) checkers(kind healthcheck.Kind, blk *hclsyntax.Block, rs RealServer, in inherited) []Checker {
	c, ok := d.checker(kind, blk, rs, in)
	if !ok {
		return nil
	}
	var hosts []*hclsyntax.Block
	for _, hb := range blk.Body.Blocks {
		if kind == healthcheck.KindSMTP && hb.Type == "host" {
			hosts = append(hosts, hb)
		}
	}
	if len(hosts) == 0 {
		return []Checker{c}
	}
	d.warnf(hosts[0].DefRange(), "host blocks are deprecated in keepalived; write one smtp_check per host (each host is a checker of its own either way)")
	var out []Checker
	for _, name := range append([]string{"fwmark"}, connectAttrs...) {
		if _, set := blk.Body.Attributes[name]; set {
			out = append(out, c)
			break
		}
	}
	timeout := 5 * time.Second // the real server's or virtual server's, not the smtp_check's
	if in.connectTimeout != nil {
		timeout = *in.connectTimeout
	}
	for i, hb := range hosts {
		if len(hb.Labels) > 0 {
			d.errorf(hb.LabelRanges[0], "host blocks take no name: write host { connect_ip = \"...\" }")
		}
		hc := c
		h := d.open(fmt.Sprintf("host %d of smtp_check", i+1), hb.Body, hb.DefRange(), schema{attrs: connectAttrs})
		hc.Source, hc.SMTP = h.src, &SMTPCheck{HeloName: c.SMTP.HeloName, Host: i + 1}
		hc.ConnectIP, hc.ConnectPort, hc.BindTo, hc.BindPort, hc.BindIf, hc.FWMark = rs.Addr.Addr(), rs.Addr.Port(), netip.Addr{}, 0, "", 0
		hc.ConnectTimeout = timeout
		h.connection(&hc)
		if h.duration("connect_timeout", &hc.ConnectTimeout) && hc.ConnectTimeout <= 0 {
			h.errorf("connect_timeout", "connect_timeout must be more than 0")
		}
		if hc.ConnectPort == 0 {
			d.errorf(hb.DefRange(), "host of smtp_check on a real server without a port needs connect_port")
		}
		out = append(out, hc)
	}
	return out
}

func (d *decoder) httpCheck(b *block, kind healthcheck.Kind, vhost string) *HTTPCheck {
	h := &HTTPCheck{HTTPProtocol: "1.0", Virtualhost: vhost}
	if b.str("http_protocol", &h.HTTPProtocol) && !contains([]string{"1.0", "1.0C", "1.1"}, h.HTTPProtocol) {
		b.errorf("http_protocol", "http_protocol must be \"1.0\", \"1.0C\" or \"1.1\", not %q", h.HTTPProtocol)
	}
	b.str("virtualhost", &h.Virtualhost)
	var fast bool
	if b.boolean("fast_recovery", &fast) && !fast {
		b.warnf("fast_recovery", "fast_recovery = false has no effect: halvs fetches every url of a checker in each check, so a recovered server is back after one check (keepalived's fast_recovery)")
	}
	if kind == healthcheck.KindSSL {
		b.boolean("enable_sni", &h.EnableSNI)
		if b.str("sni_name", &h.SNIName) {
			if h.SNIName == "" || strings.ContainsAny(h.SNIName, " /:") {
				b.errorf("sni_name", "sni_name must be a host name such as \"www.example.com\"")
			}
			if b.has("enable_sni") && !h.EnableSNI {
				b.errorf("sni_name", "sni_name sends a server name; it cannot go with enable_sni = false")
			}
			h.EnableSNI = true // keepalived: sni_name turns enable_sni on
		}
		b.boolean("tls_verify", &h.TLSVerify)
		if b.str("ca_file", &h.CAFile) && !h.TLSVerify {
			b.errorf("ca_file", "ca_file is only read with tls_verify = true (keepalived never verifies the server's certificate)")
		}
	}
	urls := b.blocks("url")
	if len(urls) == 0 {
		b.d.errorf(b.src.Range, "%s needs at least one url { path = \"/\" }", checkerBlock(kind))
	}
	for _, ub := range urls {
		u := d.open("url", ub.Body, ub.DefRange(), schema{attrs: []string{"path", "status_code", "digest", "virtualhost",
			"regex", "regex_no_match", "regex_min_offset", "regex_max_offset", "regex_options"}})
		url := URL{StatusCodes: []StatusRange{{200, 299}}, Virtualhost: h.Virtualhost, Source: u.src}
		if !u.str("path", &url.Path) || !strings.HasPrefix(url.Path, "/") {
			d.errorf(ub.DefRange(), "url needs path = \"/...\" (an absolute path)")
		}
		u.statusCodes(&url)
		if u.str("digest", &url.Digest) {
			url.Digest = strings.ToLower(url.Digest)
			if len(url.Digest) != 32 || !validHex(url.Digest, false) || strings.Contains(url.Digest, " ") {
				u.errorf("digest", "digest must be 32 hex digits (the MD5 of the page, as genhash prints it)")
			}
		}
		u.str("virtualhost", &url.Virtualhost)
		u.regex(&url)
		h.URLs = append(h.URLs, url)
	}
	return h
}

// statusCodes reads 200, "200-299 503" or a list of either.
func (b *block) statusCodes(u *URL) {
	v, ok := b.value("status_code")
	if !ok {
		return
	}
	var words []string
	add := func(e cty.Value) bool {
		switch e.Type() {
		case cty.Number:
			words = append(words, numString(e))
		case cty.String:
			words = append(words, e.AsString())
		default:
			return false
		}
		return true
	}
	good := true
	if v.Type().IsTupleType() || v.Type().IsListType() {
		for _, e := range v.AsValueSlice() {
			good = good && add(e)
		}
	} else {
		good = add(v)
	}
	if !good {
		b.errorf("status_code", "status_code must be a code, a range such as \"200-299\", or a list of them")
		return
	}
	codes, err := parseStatusCodes(strings.Join(words, " "))
	if err != nil {
		b.errorf("status_code", "%v", err)
		return
	}
	u.StatusCodes = codes
}

func (d *decoder) miscCheck(b *block, blk *hclsyntax.Block, delayLoop time.Duration) *MiscCheck {
	m := &MiscCheck{Timeout: delayLoop}
	if !b.has("misc_path") {
		d.errorf(blk.DefRange(), "misc_check needs misc_path = \"/path/to/check args\"")
	}
	b.script("misc_path", &m.Path)
	if b.duration("misc_timeout", &m.Timeout) && m.Timeout <= 0 {
		b.errorf("misc_timeout", "misc_timeout must be more than 0")
	}
	b.boolean("misc_dynamic", &m.Dynamic)
	var user string
	if b.str("user", &user) {
		var err error
		if m.User, m.Group, err = parseUserGroup(user); err != nil {
			b.errorf("user", "user: %v", err)
		}
	}
	return m
}

var dnsTypes = []string{"A", "NS", "CNAME", "SOA", "MX", "TXT", "AAAA"}

func (b *block) dnsCheck() *DNSCheck {
	c := &DNSCheck{Type: "SOA", Name: "."}
	if b.str("type", &c.Type) && !contains(dnsTypes, c.Type) {
		b.errorf("type", "type must be one of %s, not %q%s", strings.Join(dnsTypes, " "), c.Type, suggestValue(c.Type, dnsTypes))
	}
	if b.str("name", &c.Name) && c.Name == "" {
		b.errorf("name", "name must be a domain name such as \"example.com\" (default \".\")")
	}
	return c
}

func (b *block) udpCheck() *UDPCheck {
	u := &UDPCheck{MaxReplyLength: 255}
	if b.str("payload", &u.Payload) && !validHex(u.Payload, false) {
		b.errorf("payload", "payload must be hex digits such as \"0a1b2c\"")
	}
	if v, ok := b.value("require_reply"); ok {
		switch v.Type() {
		case cty.Bool:
			u.RequireReply = v.True()
		case cty.String:
			u.RequireReply, u.ReplyPattern = true, v.AsString()
			if !validHex(u.ReplyPattern, true) {
				b.errorf("require_reply", "require_reply must be true or hex digits (X ignores a digit)")
			}
		default:
			b.errorf("require_reply", "require_reply must be true or hex digits (X ignores a digit)")
		}
	}
	b.integer("min_reply_length", &u.MinReplyLength, 0, 65535)
	b.integer("max_reply_length", &u.MaxReplyLength, 0, 65535)
	if u.MinReplyLength > u.MaxReplyLength {
		b.errorf("min_reply_length", "min_reply_length %d is above max_reply_length %d", u.MinReplyLength, u.MaxReplyLength)
	}
	return u
}

func (d *decoder) fileCheck(b *block, blk *hclsyntax.Block) *FileCheck {
	f := &FileCheck{Weight: 1}
	if !b.str("track_file", &f.TrackFile) || f.TrackFile == "" {
		d.errorf(blk.DefRange(), "file_check needs track_file = \"NAME\" (a track_file block)")
	}
	b.boolean("dynamic", &f.Dynamic)
	b.integer("weight", &f.Weight, -lvs.MaxWeight, lvs.MaxWeight) // keepalived: ±IPVS_WEIGHT_LIMIT
	b.boolean("reverse", &f.Reverse)
	return f
}
