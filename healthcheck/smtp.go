package healthcheck

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"strings"
	"time"
)

// SMTPSpec is an SMTP_CHECK block (keepalived check_smtp.c): connect, read the greeting (220),
// send HELO, read its reply (250), send QUIT and read a reply line, whatever its code, as
// keepalived does. connect_timeout bounds the whole exchange (keepalived applies it to each
// read and write). keepalived's host blocks each become one SMTPSpec of their own; the
// configuration expands them.
type SMTPSpec struct {
	Conn
	// HeloName is the HELO argument (helo_name). Empty: the director's host name, as RFC 5321
	// asks of a client; keepalived sends a fixed name of its own.
	HeloName string
}

// Kind implements Spec.
func (SMTPSpec) Kind() Kind { return KindSMTP }

func (s SMTPSpec) resolve(env resolveEnv) (Spec, error) {
	c, err := s.Conn.resolve(env.RealServer)
	if err != nil {
		return nil, fmt.Errorf("SMTP_CHECK: %w", err)
	}
	s.Conn = c
	if s.HeloName == "" {
		s.HeloName = defaultHeloName()
	}
	if err := validHeloName(s.HeloName); err != nil {
		return nil, fmt.Errorf("SMTP_CHECK: %w", err)
	}
	return s, nil
}

// validHeloName reports whether name can be sent as the HELO argument: one word of printable
// ASCII, at most 255 bytes (a domain's limit), so that it cannot end the command early or
// smuggle a second one.
func validHeloName(name string) error {
	if name == "" || len(name) > 255 {
		return fmt.Errorf("helo_name must be 1 to 255 characters, not %d", len(name))
	}
	for _, r := range name {
		if r <= ' ' || r > '~' {
			return fmt.Errorf("helo_name %q: only printable ASCII without spaces is allowed", name)
		}
	}
	return nil
}

func defaultHeloName() string {
	if h, err := os.Hostname(); err == nil && validHeloName(h) == nil {
		return h
	}
	return "localhost"
}

func (s SMTPSpec) newChecker() (Checker, error) {
	return &smtpChecker{spec: s, name: "smtp_check " + s.target().String()}, nil
}

type smtpChecker struct {
	spec SMTPSpec
	name string
}

func (c *smtpChecker) String() string { return c.name }

func (c *smtpChecker) Check(ctx context.Context) Result {
	start := time.Now()
	err := c.converse(ctx, start)
	return Result{OK: err == nil, Err: err, Latency: time.Since(start)}
}

func (c *smtpChecker) converse(ctx context.Context, start time.Time) error {
	ctx, cancel := context.WithTimeout(ctx, c.spec.ConnectTimeout)
	defer cancel()
	conn, err := c.spec.dialer("tcp").DialContext(ctx, "tcp", c.spec.target().String())
	if err != nil {
		return err
	}
	defer conn.Close()
	defer bindDeadline(ctx, conn, start, c.spec.ConnectTimeout)()

	r := bufio.NewReaderSize(conn, smtpLineMax)
	if code, line, err := readSMTPReply(r); err != nil {
		return fmt.Errorf("greeting: %w", err)
	} else if code != 220 {
		return fmt.Errorf("bad greeting banner: %.80q", line)
	}
	if _, err := io.WriteString(conn, "HELO "+c.spec.HeloName+"\r\n"); err != nil {
		return fmt.Errorf("send HELO: %w", err)
	}
	if code, line, err := readSMTPReply(r); err != nil {
		return fmt.Errorf("HELO reply: %w", err)
	} else if code != 250 {
		return fmt.Errorf("bad HELO reply: %.80q", line)
	}
	if _, err := io.WriteString(conn, "QUIT\r\n"); err != nil {
		return fmt.Errorf("send QUIT: %w", err)
	}
	if _, _, err := readSMTPReply(r); err != nil {
		return fmt.Errorf("QUIT reply: %w", err)
	}
	return nil
}

// smtpLineMax is keepalived's SMTP_BUFF_MAX: the longest reply line read. smtpReplyMax bounds a
// multi-line reply (an EHLO-style "250-" list) so that a server cannot keep the probe reading.
const (
	smtpLineMax  = 512
	smtpReplyMax = 64
)

// readSMTPReply reads one reply, following RFC 5321 multi-line replies ("220-..." lines, then
// "220 ..."), and returns its code and last line. A line that does not start with three digits
// followed by a space, a hyphen or its end has code 0. keepalived reads only the first line;
// a server whose banner spans several lines fails its check there and passes here.
func readSMTPReply(r *bufio.Reader) (int, string, error) {
	for range smtpReplyMax {
		raw, err := r.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			return 0, "", fmt.Errorf("reply line longer than %d bytes", smtpLineMax)
		}
		if err != nil {
			if len(raw) == 0 {
				return 0, "", fmt.Errorf("no reply: %w", err)
			}
			return 0, "", fmt.Errorf("incomplete reply %.80q: %w", raw, err)
		}
		line := strings.TrimRight(string(raw), "\r\n")
		code, more := smtpCode(line)
		if code == 0 || !more {
			return code, line, nil
		}
	}
	return 0, "", fmt.Errorf("reply longer than %d lines", smtpReplyMax)
}

// smtpCode reads "250 text", "250-text" (more lines follow) or "250".
func smtpCode(line string) (code int, more bool) {
	if len(line) < 3 || (len(line) > 3 && line[3] != ' ' && line[3] != '-') {
		return 0, false
	}
	for _, d := range line[:3] {
		if d < '0' || d > '9' {
			return 0, false
		}
		code = code*10 + int(d-'0')
	}
	return code, len(line) > 3 && line[3] == '-'
}

// key identifies the probe: every parameter of the resolved spec.
func (s SMTPSpec) key() string {
	c := s.Conn
	return fmt.Sprintf("%v bindto=%v:%d bind_if=%q timeout=%v fwmark=%d helo=%q",
		netip.AddrPortFrom(c.ConnectIP, c.ConnectPort), c.BindTo, c.BindPort, c.BindInterface, c.ConnectTimeout, c.FWMark, s.HeloName)
}
