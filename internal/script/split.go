package script

import (
	"errors"
	"strings"
)

// Split breaks a keepalived-style command line ("/usr/bin/check --port 80 'a b'") into an argv:
// words separated by blanks, single quotes keep everything literally, double quotes keep blanks
// and honour backslash escapes, a backslash outside quotes escapes the next character. No
// variable, glob or other shell expansion happens.
func Split(line string) ([]string, error) {
	var (
		args    []string
		cur     strings.Builder
		inWord  bool
		quote   rune
		escaped bool
	)
	for _, r := range line {
		switch {
		case escaped:
			cur.WriteRune(r)
			escaped = false
		case quote == '\'':
			if r == '\'' {
				quote = 0
			} else {
				cur.WriteRune(r)
			}
		case quote == '"':
			switch r {
			case '"':
				quote = 0
			case '\\':
				escaped = true
			default:
				cur.WriteRune(r)
			}
		case r == '\\':
			escaped, inWord = true, true
		case r == '\'' || r == '"':
			quote, inWord = r, true
		case r == ' ' || r == '\t' || r == '\n':
			if inWord {
				args = append(args, cur.String())
				cur.Reset()
				inWord = false
			}
		default:
			cur.WriteRune(r)
			inWord = true
		}
	}
	if quote != 0 {
		return nil, errors.New("script: unterminated quote in command line")
	}
	if escaped {
		return nil, errors.New("script: command line ends with a backslash")
	}
	if inWord {
		args = append(args, cur.String())
	}
	if len(args) == 0 {
		return nil, errors.New("script: empty command line")
	}
	return args, nil
}

// quote renders one argument so that Split reads it back unchanged.
func quote(s string) string {
	if s != "" && !strings.ContainsAny(s, " \t\n'\"\\") {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
