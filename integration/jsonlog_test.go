//go:build integration

package integration

import (
	"net/netip"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/halvs/halvs/internal/logtest"
)

// TestJSONLogs runs a halvs pair with --log-format json through an election, a reload that
// adds a VIP, a SIGUSR1 status dump and a takeover (A stops), with a tracked vrrp_script.
// Every line either director wrote is one JSON object, with no key twice and states by
// name, and the lines an operator greps for (keepalived's words) are there.
func TestJSONLogs(t *testing.T) {
	p := newPair(t, VIP4, Halvs)
	vip := netip.PrefixFrom(VIP4, 24)
	extra := netip.MustParsePrefix("10.10.10.23/24")
	chk := []Script{{Name: "chk_ok", Path: "/bin/true", Weight: 10}}
	a := Instance{State: "MASTER", Priority: 150, VIPs: []netip.Prefix{vip}, Scripts: chk}
	b := Instance{Priority: 100, VIPs: []netip.Prefix{vip}, Scripts: chk}
	mark := p.obs.Mark()
	da := p.start(Halvs, p.lab.A, a, "--log-format", "json")
	db := p.start(Halvs, p.lab.B, b, "--log-format", "json")
	p.expectMaster(mark, p.lab.A, 10*time.Second, time.Second)

	a.VIPs = append(a.VIPs, extra)
	if err := da.Rewrite(a); err != nil {
		t.Fatal(err)
	}
	if err := da.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	waitLine(t, da, `"msg":"setting VIP"`, extra.String())
	if err := da.Signal(syscall.SIGUSR1); err != nil {
		t.Fatal(err)
	}
	waitLine(t, da, `"msg":"SIGUSR1: status written"`, "")

	mark = p.obs.Mark()
	if err := da.Stop(10 * time.Second); err != nil {
		t.Fatal(err)
	}
	p.running[p.lab.A] = nil
	p.expectMaster(mark, p.lab.B, 10*time.Second, time.Second)
	waitLine(t, db, `"msg":"Sending/queueing gratuitous ARPs"`, "")
	if err := db.Stop(10 * time.Second); err != nil {
		t.Fatal(err)
	}

	for _, tt := range []struct {
		d    *Director
		want []string // substrings, each of some line
	}{
		{da, []string{
			`"msg":"Entering MASTER STATE","instance":"VI_1","from":"BACKUP"`,
			`"msg":"setting VIP","instance":"VI_1","vip":"10.10.10.22/24"`,
			`"msg":"Sending/queueing gratuitous ARPs","instance":"VI_1","dev":`,
			`"msg":"setting VIP","instance":"VI_1","vip":"10.10.10.23/24","dev":"` + p.lab.A.If + `","by":"reload"`,
			`"msg":"VRRP_Script succeeded","script":"chk_ok","state":"OK"`,
			`"msg":"SIGUSR1: status written"`,
			`"msg":"Entering STOP STATE","instance":"VI_1","from":"MASTER"`,
			`"msg":"removing VIP","instance":"VI_1","vip":"10.10.10.22/24"`,
		}},
		{db, []string{
			`"msg":"Entering BACKUP STATE","instance":"VI_1","from":"INIT"`,
			`"msg":"Entering MASTER STATE","instance":"VI_1","from":"BACKUP"`,
			`"msg":"setting VIP","instance":"VI_1","vip":"10.10.10.22/24"`,
		}},
	} {
		out := tt.d.Output()
		for _, w := range tt.want {
			if !strings.Contains(out, w) {
				t.Errorf("%s: no line with %s", tt.d.Node.Name, w)
			}
		}
		for _, problem := range logtest.CheckJSONLines([]byte(out)) {
			t.Errorf("%s: %s", tt.d.Node.Name, problem)
		}
		if t.Failed() {
			t.Logf("%s's log:\n%s", tt.d.Node.Name, out)
		}
	}
}

// waitLine waits until d has logged a line holding both substrings ("" matches any).
func waitLine(t *testing.T, d *Director, s1, s2 string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		for _, line := range strings.Split(d.Output(), "\n") {
			if strings.Contains(line, s1) && strings.Contains(line, s2) {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: no line with %s %s after 10s:\n%s", d.Node.Name, s1, s2, d.Output())
		}
		time.Sleep(20 * time.Millisecond)
	}
}
