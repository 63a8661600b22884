package cnum

import "testing"

func TestStrtol(t *testing.T) {
	tests := []struct {
		in   string
		want int64
		rest string
		ok   bool
	}{
		{"42", 42, "", true},
		{"  \t-20 apples", -20, " apples", true},
		{"+7", 7, "", true},
		{"0x1f;", 31, ";", true},
		{"010", 8, "", true},
		{"09", 0, "9", true}, // octal stops at 9, as strtol does
		{"0xg", 0, "xg", true},
		{"drain", 0, "drain", false},
		{"", 0, "", false},
		{"-", 0, "", false},
		{"99999999999999999999999", 1 << 62, "", true},
		{"-99999999999999999999999", -(1 << 62), "", true},
	}
	for _, tt := range tests {
		v, rest, ok := Strtol(tt.in)
		if v != tt.want || rest != tt.rest || ok != tt.ok {
			t.Errorf("Strtol(%q) = %d, %q, %v; want %d, %q, %v", tt.in, v, rest, ok, tt.want, tt.rest, tt.ok)
		}
	}
}
