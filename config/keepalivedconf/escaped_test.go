package keepalivedconf

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestSplitQuotedEscaped(t *testing.T) {
	tests := []struct {
		name, line string
		want       []string
		wantErr    bool
	}{
		{name: "words", line: "regex  a\tb", want: []string{"regex", "a", "b"}},
		{name: "double quotes group", line: `regex "status: OK"`, want: []string{"regex", "status: OK"}},
		{name: "single quotes group", line: `regex 'a "b" c'`, want: []string{"regex", `a "b" c`}},
		{name: "quotes inside a word", line: `regex ab"c d"e`, want: []string{"regex", "abc de"}},
		{name: "backslash escapes any character", line: `regex \d\\d\"`, want: []string{"regex", `d\d"`}},
		{name: "named escapes", line: `regex "\n\t\a\b\E\f\r\v"`, want: []string{"regex", "\n\t\a\b\x1b\f\r\v"}},
		{name: "hex, octal, control", line: `regex \x41\x4a\101\7\cA`, want: []string{"regex", "AJA\a\x01"}},
		{name: "long hex keeps the low byte", line: `regex \x141`, want: []string{"regex", "A"}},
		{name: "escaped blank joins", line: `regex a\ b`, want: []string{"regex", "a b"}},
		{name: "unterminated quote", line: `regex "abc`, wantErr: true},
		{name: "trailing backslash", line: `regex abc\`, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := splitQuotedEscaped(tt.line)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want error %v", err, tt.wantErr)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}
