package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
)

const validConfig = `vrrp_instance "VI_1" {
  interface         = "eth0"
  virtual_router_id = 51
  priority          = 100
  virtual_ipaddress = ["10.0.0.1/24"]
}
`

func TestDispatch(t *testing.T) {
	path := filepath.Join(t.TempDir(), "halvs.hcl")
	if err := os.WriteFile(path, []byte(validConfig), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name           string
		args           []string
		code           int
		stdout, stderr string // substrings; "" checks nothing
	}{
		{"no arguments", nil, exitUsage, "", "Usage: halvs COMMAND"},
		{"help", []string{"help"}, exitOK, "Commands:", ""},
		{"help of a command", []string{"help", "run"}, exitOK, "Usage: halvs run", ""},
		{"a command's -h", []string{"check", "-h"}, exitOK, "Usage: halvs check", ""},
		{"a command's --help after a flag", []string{"status", "--json", "--help"}, exitOK, "Usage: halvs status", ""},
		{"a bad flag", []string{"check", "--bogus"}, exitUsage, "", "flag provided but not defined: -bogus\nUsage: halvs check"},
		{"help of an unknown command", []string{"help", "bogus"}, exitUsage, "", `unknown command "bogus"`},
		{"help of two commands", []string{"help", "run", "check"}, exitUsage, "", "one command at a time"},
		{"unknown command", []string{"bogus"}, exitUsage, "", `unknown command "bogus"`},
		{"-t first", []string{"-t", "-c", path}, exitOK, "config OK", ""},
		{"-t last", []string{"-c", path, "-t"}, exitOK, "config OK", ""},
		{"--config-test between", []string{"-f", path, "--config-test"}, exitOK, "config OK", ""},
		{"flags without -t", []string{"-c", path}, exitUsage, "", `unknown command "-c"`},
		{"version", []string{"version"}, exitOK, "halvs ", ""},
		{"version -h", []string{"version", "-h"}, exitOK, "Usage: halvs version", ""},
		{"--version", []string{"--version"}, exitOK, "halvs ", ""},
		{"-v", []string{"-v"}, exitOK, "halvs ", ""},
		{"--version with an argument", []string{"--version", "now"}, exitUsage, "", `unexpected argument "now"`},
		{"version with an unknown flag", []string{"version", "--short"}, exitUsage, "", "flag provided but not defined: -short"},
		{"version with an argument", []string{"version", "now"}, exitUsage, "", `unexpected argument "now"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := dispatch(tt.args, &stdout, &stderr)
			if code != tt.code || !strings.Contains(stdout.String(), tt.stdout) || !strings.Contains(stderr.String(), tt.stderr) {
				t.Errorf("halvs %q: exit %d (want %d)\nstdout:\n%s\nstderr:\n%s", tt.args, code, tt.code, stdout.String(), stderr.String())
			}
			if tt.stderr == "" && stderr.Len() > 0 {
				t.Errorf("halvs %q wrote to stderr: %s", tt.args, stderr.String())
			}
			if tt.stdout == "" && stdout.Len() > 0 && tt.code != exitOK {
				t.Errorf("halvs %q wrote to stdout: %s", tt.args, stdout.String())
			}
		})
	}
}

// TestHelpWidth: every command's -h fits a terminal (100 columns), so nothing wraps in the
// middle of a word.
func TestHelpWidth(t *testing.T) {
	for name, c := range commands {
		var stdout, stderr bytes.Buffer
		if code := c.run([]string{"-h"}, &stdout, &stderr); code != exitOK {
			t.Errorf("halvs %s -h: exit %d", name, code)
		}
		for _, line := range strings.Split(stdout.String()+stderr.String(), "\n") {
			if n := utf8.RuneCountInString(line); n > 100 {
				t.Errorf("halvs %s -h: a %d-column line:\n%s", name, n, line)
			}
		}
	}
}

// TestHelpOnStdout: help asked for goes to stdout with exit 0, so `halvs COMMAND -h | less`
// shows it; a bad flag prints its error and the usage on stderr with exit 2.
func TestHelpOnStdout(t *testing.T) {
	says := map[string]string{ // a line of each help that matters
		"run": "SIGUSR1", "failover": "priority 0", "drill": "time back", "realserver": "arp_announce=2",
		"reload": "reloads only the file it was started with", "ipvs": "ipvsadm", "convert": "Exit status",
	}
	for name, c := range commands {
		prefix := []string(nil)
		if name == "realserver" {
			prefix = []string{"up"} // its flags follow the verb
		}
		for _, help := range []string{"-h", "--help"} {
			var stdout, stderr bytes.Buffer
			code := c.run(append(prefix, help), &stdout, &stderr)
			if code != exitOK || !strings.Contains(stdout.String(), "Usage: halvs "+name) ||
				!strings.Contains(stdout.String(), says[name]) || stderr.Len() > 0 {
				t.Errorf("halvs %s %s: exit %d\nstdout:\n%s\nstderr:\n%s", name, help, code, stdout.String(), stderr.String())
			}
		}
		var stdout, stderr bytes.Buffer
		code := c.run(append(prefix, "--no-such-flag"), &stdout, &stderr)
		if code != exitUsage || !strings.Contains(stderr.String(), "Usage: halvs "+name) || stdout.Len() > 0 {
			t.Errorf("halvs %s --no-such-flag: exit %d\nstdout:\n%s\nstderr:\n%s", name, code, stdout.String(), stderr.String())
		}
	}
}

func TestSummaryLine(t *testing.T) {
	got := []string{summaryLine(1, 1, 1), summaryLine(2, 0, 0)}
	want := []string{"1 instance (1 MASTER), 1 virtual server", "2 instances (0 MASTER), 0 virtual servers"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}
