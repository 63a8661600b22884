package director

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/halvs/halvs/internal/script"
	"github.com/halvs/halvs/internal/testutil"
)

// lockedBuffer collects log lines while the director writes them.
type lockedBuffer = testutil.Buffer

// TestScriptSecuritySymlinkSwap is issue 17's reproduction: notify_master is a symbolic link
// in a directory that uid 65534 owns, leading to a root-owned script in a root-only path.
// The config is accepted; the link's owner then swaps it to a script of their own. The next
// notify must not run it (it would run as root): the run is refused, logged and counted.
func TestScriptSecuritySymlinkSwap(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root: enable_script_security is about files owned by root")
	}
	tests := []struct {
		name        string
		swapTo      string // under base; "" leaves the link alone
		want        string // what the scripts wrote
		wantRefused uint64
	}{
		{name: "link unchanged: the vetted script runs", want: "safe\n"},
		{name: "link swapped after load: refused", swapTo: "user/evil.sh", wantRefused: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			base := t.TempDir()
			if elem, why := script.Unsafe(base); elem != "" {
				t.Skipf("%s %s (TMPDIR?)", elem, why)
			}
			out := filepath.Join(base, "out")
			write := func(path, word string) {
				t.Helper()
				if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, []byte("#!/bin/sh\necho "+word+" >> "+out+"\n"), 0o755); err != nil {
					t.Fatal(err)
				}
			}
			write(filepath.Join(base, "safe", "notify.sh"), "safe")
			write(filepath.Join(base, "user", "evil.sh"), "evil")
			for _, p := range []string{filepath.Join(base, "user"), filepath.Join(base, "user", "evil.sh")} {
				if err := os.Chown(p, 65534, 65534); err != nil {
					t.Fatal(err)
				}
			}
			link := filepath.Join(base, "user", "notify")
			if err := os.Symlink(filepath.Join(base, "safe", "notify.sh"), link); err != nil {
				t.Fatal(err)
			}

			src := "global {\n  enable_script_security = true\n}\n" +
				owner("VI_1", 51, "10.0.0.1/32", `  notify_master = "`+link+`"`+"\n")
			k := newKernel()
			opts := k.options(t)
			var logs lockedBuffer
			opts.Logger = slog.New(slog.NewTextHandler(&logs, nil))
			d, err := New(parse(t, src), opts) // parse: the config check accepts it
			if err != nil {
				t.Fatal(err)
			}
			if tt.swapTo != "" {
				tmp := link + ".new"
				if err := os.Symlink(filepath.Join(base, tt.swapTo), tmp); err != nil {
					t.Fatal(err)
				}
				if err := os.Rename(tmp, link); err != nil {
					t.Fatal(err)
				}
			}
			running(t, d)
			inst := masterOf(t, d, "VI_1")
			eventually(t, "notify_master to be done", func() bool {
				b, _ := os.ReadFile(out)
				return len(b) > 0 || inst.Counters().ScriptErrors > 0
			})
			got, _ := os.ReadFile(out)
			if diff := cmp.Diff(tt.want, string(got)); diff != "" {
				t.Errorf("what notify_master ran (-want +got):\n%s", diff)
			}
			if got := d.host.guard.Refused(); got != tt.wantRefused {
				t.Errorf("refused %d runs, want %d", got, tt.wantRefused)
			}
			if refusedLog := strings.Contains(logs.String(), `msg="script refused"`); refusedLog != (tt.wantRefused > 0) {
				t.Errorf("refusal logged: %v, want %v; logs:\n%s", refusedLog, tt.wantRefused > 0, logs.String())
			}
		})
	}
}

// TestKillScriptsEndsStop: a notify_stop that ignores SIGTERM and sleeps does not hold Run
// past ScriptWait; KillScripts ends it at once.
func TestKillScriptsEndsStop(t *testing.T) {
	tests := []struct {
		name string
		wait time.Duration
		kill bool // call KillScripts once the stop began
	}{
		{name: "the wait runs out", wait: 500 * time.Millisecond},
		{name: "KillScripts", wait: time.Hour, kill: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			started, stop := filepath.Join(dir, "started"), filepath.Join(dir, "stop.sh")
			body := "#!/bin/sh\ntrap '' TERM\ntouch " + started + "\nsleep 120\n"
			if err := os.WriteFile(stop, []byte(body), 0o755); err != nil {
				t.Fatal(err)
			}
			src := owner("VI_1", 51, "10.0.0.1/32", `  notify_stop = "`+stop+`"`+"\n")
			k := newKernel()
			opts := k.options(t)
			opts.ScriptWait = tt.wait
			d, err := New(parse(t, src), opts)
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			go func() { done <- d.Run(ctx) }()
			masterOf(t, d, "VI_1")
			cancel()
			eventually(t, "notify_stop to start", func() bool { _, err := os.Stat(started); return err == nil })
			if tt.kill {
				d.KillScripts()
			}
			select {
			case err := <-done:
				if err != nil {
					t.Fatal(err)
				}
			case <-time.After(20 * time.Second):
				t.Fatal("Run still waits for notify_stop")
			}
			if k.hasVIP("10.0.0.1/32") {
				t.Error("the VIP was left behind")
			}
		})
	}
}

// TestScriptSecurityMiscCheckSwap: a misc_check run as root is held to the file vetted at
// load as the notify scripts are: its link swapped to a user's script after load, the check
// runs nothing and fails, and the refusal is counted.
func TestScriptSecurityMiscCheckSwap(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root: enable_script_security is about files owned by root")
	}
	base := t.TempDir()
	if elem, why := script.Unsafe(base); elem != "" {
		t.Skipf("%s %s (TMPDIR?)", elem, why)
	}
	out := filepath.Join(base, "out")
	for _, f := range []struct{ path, word string }{{"safe/check.sh", "safe"}, {"user/evil.sh", "evil"}} {
		p := filepath.Join(base, f.path)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("#!/bin/sh\necho "+f.word+" >> "+out+"\n"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, p := range []string{filepath.Join(base, "user"), filepath.Join(base, "user", "evil.sh")} {
		if err := os.Chown(p, 65534, 65534); err != nil {
			t.Fatal(err)
		}
	}
	link := filepath.Join(base, "user", "check")
	if err := os.Symlink(filepath.Join(base, "safe", "check.sh"), link); err != nil {
		t.Fatal(err)
	}
	src := "global {\n  enable_script_security = true\n}\n" + owner("VI_1", 51, "10.0.0.1/32", "") + `
virtual_server "10.0.0.1:80" {
  protocol = "TCP"
  real_server "10.0.1.2:80" {
    misc_check {
      misc_path  = "` + link + `"
      warmup     = 0
      delay_loop = 3600
    }
  }
}
`
	k := newKernel()
	d, err := New(parse(t, src), k.options(t))
	if err != nil {
		t.Fatal(err)
	}
	tmp := link + ".new"
	if err := os.Symlink(filepath.Join(base, "user", "evil.sh"), tmp); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, link); err != nil {
		t.Fatal(err)
	}
	running(t, d)
	eventually(t, "the misc_check refused", func() bool { return d.host.guard.Refused() > 0 })
	if got, _ := os.ReadFile(out); len(got) != 0 {
		t.Errorf("the swapped misc_check ran: %q", got)
	}
}
