package track

import (
	"errors"
	"fmt"
	"math"
	"os"
	"strings"
	"syscall"

	"github.com/halvs/halvs/internal/cnum"
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
	v, _, _ := cnum.Strtol(s)
	if v < math.MinInt32 || v > math.MaxInt32 {
		return 0, fmt.Errorf("%w: %q", ErrInvalidValue, strings.TrimSpace(s))
	}
	return int(v), nil
}
