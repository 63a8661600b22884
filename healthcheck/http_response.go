package healthcheck

import (
	"bytes"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"net"
	"strconv"
	"strings"
)

const maxHeader = 64 << 10

// readResponse reads the status line and headers, then, if digest is wanted, the body up to
// Content-Length or EOF, returning the MD5 of the raw body bytes as keepalived computes it (no
// transfer decoding), and the first keep bytes of the body (for a regex).
func readResponse(r io.Reader, digest bool, keep int) (status int, sum string, body []byte, err error) {
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
				return 0, "", nil, fmt.Errorf("read: no data received: %w", rerr)
			}
			return 0, "", nil, fmt.Errorf("read: incomplete header: %w", rerr)
		}
		if len(buf) > maxHeader {
			return 0, "", nil, errors.New("read: header longer than 64 KiB")
		}
	}
	header, head := buf[:end], buf[end+4:]
	lines := strings.Split(string(header), "\r\n")
	status, err = parseStatusLine(lines[0])
	if err != nil {
		return 0, "", nil, err
	}
	if !digest && keep == 0 {
		return status, "", nil, nil
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
	sink := &bodySink{keep: keep}
	if digest {
		sink.hash = md5.New()
	}
	if err := readBody(sink, head, r, length); err != nil {
		return 0, "", nil, err
	}
	if digest {
		sum = hex.EncodeToString(sink.hash.Sum(nil))
	}
	return status, sum, sink.kept, nil
}

// bodySink takes the body: into the digest, and its first keep bytes into kept. Without a
// digest it stops the read (errBodyKept) once it has kept all it wants.
type bodySink struct {
	hash hash.Hash
	keep int
	kept []byte
}

var errBodyKept = errors.New("body kept")

func (s *bodySink) Write(p []byte) (int, error) {
	if s.hash != nil {
		s.hash.Write(p)
	}
	if room := s.keep - len(s.kept); room > 0 {
		s.kept = append(s.kept, p[:min(room, len(p))]...)
	}
	if s.hash == nil && len(s.kept) >= s.keep {
		return len(p), errBodyKept
	}
	return len(p), nil
}

// readBody feeds the body, head first, to w up to Content-Length (length ≥ 0) or EOF.
func readBody(w io.Writer, head []byte, r io.Reader, length int64) error {
	if length >= 0 && int64(len(head)) > length {
		head = head[:length]
	}
	var err error
	if _, err = w.Write(head); err == nil {
		if length >= 0 {
			if rest := length - int64(len(head)); rest > 0 {
				_, err = io.CopyN(w, r, rest)
			}
		} else if _, err = io.Copy(w, r); errors.Is(err, io.EOF) || (err != nil && isClosed(err)) {
			err = nil
		}
	}
	if err != nil && !errors.Is(err, errBodyKept) {
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
