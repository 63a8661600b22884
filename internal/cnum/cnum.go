// Package cnum reads numbers the way C's strtol does, for the places where keepalived hands a
// string to strtol and halvs must read it the same: track files and keepalived.conf's
// numeric arguments.
package cnum

import "strings"

// Strtol reads a number as C's strtol(s, &end, 0) does: leading blanks, a sign, then a 0x
// (hex) or 0 (octal) prefix and the digits of that base up to the first other byte. It
// returns the value, the rest of s, and whether any digit was read (no digit: 0 and s). A
// value beyond ±2⁶² saturates there instead of overflowing, so any range check a caller
// makes (a C int, say) still refuses it.
func Strtol(s string) (v int64, rest string, ok bool) {
	s = strings.TrimLeft(s, " \t\f\n\r\v")
	neg := false
	if s != "" && (s[0] == '+' || s[0] == '-') {
		neg = s[0] == '-'
		s = s[1:]
	}
	base := int64(10)
	digitsFrom := 0
	if len(s) > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X') && digitVal(s[2]) < 16 {
		base, digitsFrom = 16, 2
	} else if len(s) > 0 && s[0] == '0' {
		base = 8
	}
	i := digitsFrom
	for ; i < len(s); i++ {
		d := digitVal(s[i])
		if d >= base {
			break
		}
		if v > (1<<62)/base {
			v = 1 << 62
			continue
		}
		v = v*base + d
	}
	if i == 0 {
		return 0, s, false
	}
	if neg {
		v = -v
	}
	return v, s[i:], true
}

func digitVal(c byte) int64 {
	switch {
	case '0' <= c && c <= '9':
		return int64(c - '0')
	case 'a' <= c && c <= 'z':
		return int64(c-'a') + 10
	case 'A' <= c && c <= 'Z':
		return int64(c-'A') + 10
	}
	return 99
}
