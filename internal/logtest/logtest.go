// Package logtest checks halvs' JSON log lines (`halvs run --log-format json`) the way an
// operator's log pipeline reads them: each line one JSON object, no key twice in an object,
// and states by name.
package logtest

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
)

// namedKeys are the keys whose value must be a name (MASTER, BACKUP, KO), never a number.
var namedKeys = map[string]bool{"state": true, "from": true, "to": true, "role": true, "reason": true}

// CheckJSONLines returns one problem per bad line of out: not a JSON object, a key repeated
// within an object, or a number under a key that names a state. Blank lines are ignored.
func CheckJSONLines(out []byte) []string {
	var problems []string
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 0, 64<<10), 4<<20)
	for n := 1; sc.Scan(); n++ {
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		if err := CheckJSONLine(line); err != nil {
			problems = append(problems, fmt.Sprintf("line %d: %v: %s", n, err, line))
		}
	}
	return problems
}

// CheckJSONLine checks one line: a single JSON object, no key twice in any object (slog's
// JSON handler writes what it is given, so a logger built with .With("k") and then logging
// "k" again repeats it), and no number under a state key.
func CheckJSONLine(line []byte) error {
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.UseNumber()
	tok, err := dec.Token()
	if err != nil {
		return fmt.Errorf("not JSON: %w", err)
	}
	if tok != json.Delim('{') {
		return errors.New("not a JSON object")
	}
	if err := checkObject(dec, ""); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("more than one JSON value on the line")
	}
	return nil
}

// checkObject reads the members of an object whose '{' has been read, through its '}'.
func checkObject(dec *json.Decoder, path string) error {
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return fmt.Errorf("not JSON: %w", err)
		}
		key := tok.(string)
		if seen[key] {
			return fmt.Errorf("key %q twice", path+key)
		}
		seen[key] = true
		if err := checkValue(dec, path+key+"."); err != nil {
			return err
		}
	}
	_, err := dec.Token() // '}'
	return err
}

// checkValue reads one value; path ends with its key and a dot.
func checkValue(dec *json.Decoder, path string) error {
	tok, err := dec.Token()
	if err != nil {
		return fmt.Errorf("not JSON: %w", err)
	}
	switch v := tok.(type) {
	case json.Delim:
		switch v {
		case '{':
			return checkObject(dec, path)
		case '[':
			for dec.More() {
				if err := checkValue(dec, path); err != nil {
					return err
				}
			}
			_, err := dec.Token() // ']'
			return err
		}
	case json.Number:
		key := strings.TrimSuffix(path, ".")
		if i := strings.LastIndexByte(key, '.'); i >= 0 {
			key = key[i+1:]
		}
		if namedKeys[key] {
			return fmt.Errorf("%q is the number %s, not a name", key, v)
		}
	}
	return nil
}
