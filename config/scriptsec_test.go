package config_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/halvs/halvs/config"
)

// TestScriptSecurity builds real files and directories and checks what enable_script_security
// makes of them, as keepalived's check_script_secure would. The ownership rules need root.
func TestScriptSecurity(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root: the check is about files owned by root")
	}
	base := t.TempDir()
	mk := func(dir string, dirMode, fileMode os.FileMode) string {
		d := filepath.Join(base, dir)
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(d, "s.sh")
		if err := os.WriteFile(p, []byte("#!/bin/sh\n"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(d, dirMode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, fileMode); err != nil {
			t.Fatal(err)
		}
		return p
	}
	safe := mk("safe", 0o755, 0o755)
	if _, diags := config.Parse([]byte(secConf(safe, "")), "t.hcl"); len(diags) > 0 {
		t.Skipf("%s is not a root-only path here (TMPDIR?): %s", base, diags)
	}
	openDir := mk("opendir", 0o777, 0o755)
	sticky := mk("sticky", 0o777|os.ModeSticky, 0o755)
	openFile := mk("openfile", 0o755, 0o757)
	link := filepath.Join(base, "safe", "link.sh")
	if err := os.Symlink(openFile, link); err != nil {
		t.Fatal(err)
	}
	runDiagCases(t, []diagCase{
		{name: "root-owned path", src: secConf(safe, "")},
		{name: "world-writable directory", src: secConf(openDir, ""),
			want: []string{`6:19: error: enable_script_security: notify_master "` + openDir + `" runs as root but ` + filepath.Dir(openDir) + ` is writable by everyone`}},
		{name: "sticky directory is fine", src: secConf(sticky, "")},
		{name: "world-writable file", src: secConf(openFile, ""),
			want: []string{`6:19: error: enable_script_security: notify_master "` + openFile + `" runs as root but ` + openFile + ` is writable by everyone`}},
		{name: "symbolic link checked at its target", src: secConf(link, ""),
			want: []string{`6:19: error: enable_script_security: notify_master "` + link + `" runs as root but ` + openFile + ` is writable by everyone`}},
		{name: "run as nobody", src: secConf(openFile, "nobody")},
		{name: "missing script warns", src: secConf(filepath.Join(base, "nope.sh"), ""),
			want: []string{`6:19: warning: enable_script_security cannot check notify_master`}},
		{name: "off: not checked", src: secConfOff(openFile)},
	})
}

// secConf is an instance whose notify_master (line 6, column 19) is script, with
// enable_script_security on and script_user user ("" leaves it out: halvs' own user).
func secConf(script, user string) string {
	u := ""
	if user != "" {
		u = `script_user = "` + user + `"`
	}
	return "global {\n  enable_script_security = true\n  " + u + "\n}\n" + secInstance(script)
}

func secConfOff(script string) string { return "global {\n\n\n\n}\n" + secInstance(script) }

func secInstance(script string) string {
	return "vrrp_instance \"VI_1\" {\n  notify_master = \"" + script + "\"\n  interface = \"eth0\"\n  virtual_router_id = 1\n  virtual_ipaddress = [\"192.0.2.1\"]\n}\n"
}
