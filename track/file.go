package track

import (
	"errors"
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"
	"syscall"
)

// ErrInvalidValue is returned by ReadFile for a number outside the range of a C int:
// keepalived ignores such a value and keeps the previous one.
var ErrInvalidValue = errors.New("track: number out of range")

// ReadFile reads a track_file's value as keepalived's process_track_file does: the first
// 127 bytes, parsed like strtol(buf, NULL, 0) (leading blanks, a sign, 0x for hex, a leading
// 0 for octal, digits up to the first non-digit). A missing, unreadable or empty file and
// text with no leading number are all 0.
func ReadFile(path string) (int, error) {
	// O_NONBLOCK: a FIFO put there must not hang the watcher (it reads as empty).
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return 0, nil
	}
	defer f.Close()
	buf := make([]byte, 127)
	n, _ := f.Read(buf)
	if n <= 0 {
		return 0, nil
	}
	return ParseValue(string(buf[:n]))
}

// ParseValue parses s like C's strtol(s, NULL, 0) and checks that the number fits a C int.
func ParseValue(s string) (int, error) {
	s = strings.TrimLeft(s, " \t\n\v\f\r")
	neg := false
	if s != "" && (s[0] == '+' || s[0] == '-') {
		neg = s[0] == '-'
		s = s[1:]
	}
	base := 10
	switch {
	case len(s) > 2 && (s[:2] == "0x" || s[:2] == "0X") && isDigit(s[2], 16):
		base, s = 16, s[2:]
	case len(s) > 1 && s[0] == '0':
		base = 8
	}
	end := 0
	for end < len(s) && isDigit(s[end], base) {
		end++
	}
	if end == 0 {
		return 0, nil
	}
	v, err := strconv.ParseInt(s[:end], base, 64)
	if neg {
		v = -v
	}
	if err != nil || v < math.MinInt32 || v > math.MaxInt32 {
		return 0, fmt.Errorf("%w: %q", ErrInvalidValue, s[:end])
	}
	return int(v), nil
}

func isDigit(c byte, base int) bool {
	switch {
	case c >= '0' && c <= '9':
		return int(c-'0') < base
	case base == 16:
		return c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
	}
	return false
}
