package main

import (
	"bytes"
	"flag"
	"io"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestConfigPath(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		wantPath string
		wantErr  string
	}{
		{"flag", []string{"-c", "a.hcl"}, "a.hcl", ""},
		{"lone argument", []string{"a.hcl"}, "a.hcl", ""},
		{"two arguments: the second is the unexpected one", []string{"a.hcl", "b.hcl"}, "", "halvs check: unexpected argument \"b.hcl\"\n"},
		{"flag and an argument", []string{"-c", "a.hcl", "b.hcl"}, "", "halvs check: unexpected argument \"b.hcl\"\n"},
		{"nothing: the default", nil, defaultConfig, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs := flag.NewFlagSet("check", flag.ContinueOnError)
			fs.SetOutput(io.Discard)
			var path string
			fs.StringVar(&path, "c", "", "")
			if err := fs.Parse(tt.args); err != nil {
				t.Fatal(err)
			}
			var stderr bytes.Buffer
			got, ok := configPath(fs, path, &stderr)
			if diff := cmp.Diff([]any{tt.wantPath, tt.wantErr == "", tt.wantErr}, []any{got, ok, stderr.String()}); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
	// The commands that share it say the same.
	for name, run := range map[string]func([]string, io.Writer, io.Writer) int{"check": runCheck, "run": runRun, "ipvs": runIPVS} {
		var stderr bytes.Buffer
		if code := run([]string{"a.hcl", "b.hcl"}, io.Discard, &stderr); code != exitUsage || !bytes.Contains(stderr.Bytes(), []byte(`unexpected argument "b.hcl"`)) {
			t.Errorf("halvs %s a.hcl b.hcl: exit %d, stderr:\n%s", name, code, stderr.String())
		}
	}
}
