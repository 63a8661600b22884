//go:build vmtest

package vm

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// tally counts the client's HTTP requests to the VIP by the real server that answered
// (the first word of its page); failed requests count under "FAIL".
type tally map[string]int

func parseTally(out string) tally {
	got := tally{}
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		switch {
		case len(f) >= 2 && f[0] == "ok":
			got[f[1]]++
		case len(f) >= 1 && f[0] == "fail":
			got["FAIL"]++
		}
	}
	return got
}

// fetchLoop is the client's request loop: one new TCP connection per request, each bounded by
// timeout(1) (busybox 1.35's wget -T crashes). It stops after max requests or when stopFile
// appears, so a loop left behind by a failed test ends by itself.
func fetchLoop(max int, stopFile string) string {
	return fetchURLLoop("http://"+vip.String()+"/", max, stopFile)
}

// fetchURLLoop is fetchLoop for any URL.
func fetchURLLoop(url string, max int, stopFile string) string {
	return fmt.Sprintf(`
i=0
while [ $i -lt %d ] && [ ! -e %q ]; do
  i=$((i+1))
  if out=$(timeout 5 wget -q -O - %s 2>/dev/null); then echo "ok $out"; else echo fail; fi
done`, max, stopFile, url)
}

// fetch makes n requests from the client to http://VIP/ and counts who answered.
func fetch(t *testing.T, n int) tally {
	t.Helper()
	return parseTally(nsRun(t, client.ns, fetchLoop(n, "/nonexistent")))
}

// fetchURL makes n requests from the client to url and counts who answered.
func fetchURL(t *testing.T, url string, n int) tally {
	t.Helper()
	return parseTally(nsRun(t, client.ns, fetchURLLoop(url, n, "/nonexistent")))
}

// traffic is a request loop running in the background in the client namespace. Its output
// goes to a file, so progress can be read while it runs.
type traffic struct {
	cmd      *exec.Cmd
	outFile  string
	stopFile string
	done     chan struct{} // closed when the loop has ended; err is then its exit
	err      error
}

// startTraffic starts the client fetching http://VIP/ back to back (at most max requests).
func startTraffic(t *testing.T, max int) *traffic {
	t.Helper()
	dir := t.TempDir()
	tr := &traffic{outFile: dir + "/requests", stopFile: dir + "/stop"}
	out, err := os.Create(tr.outFile)
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	tr.cmd = exec.Command("ip", "netns", "exec", client.ns, "sh", "-c", shPrelude+fetchLoop(max, tr.stopFile))
	tr.cmd.Stdout, tr.cmd.Stderr = out, out
	if err := tr.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	tr.done = make(chan struct{})
	go func() { tr.err = tr.cmd.Wait(); close(tr.done) }()
	t.Cleanup(func() { tr.stop(t) })
	return tr
}

// soFar is the tally of the requests made until now.
func (tr *traffic) soFar() tally {
	b, _ := os.ReadFile(tr.outFile)
	return parseTally(string(b))
}

// waitRequests polls until the loop has made at least n more requests than it had at the call,
// so that a change is known to have happened under traffic; it fails if the loop ends first.
func (tr *traffic) waitRequests(t *testing.T, n int) {
	t.Helper()
	total := func() int {
		s := 0
		for _, c := range tr.soFar() {
			s += c
		}
		return s
	}
	want := total() + n
	for total() < want {
		select {
		case <-tr.done:
			t.Fatalf("client request loop ended early: %v", tr.soFar())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// stop ends the loop and returns its tally.
func (tr *traffic) stop(t *testing.T) tally {
	t.Helper()
	if err := os.WriteFile(tr.stopFile, nil, 0o644); err != nil {
		t.Error(err)
	}
	<-tr.done
	if tr.err != nil {
		t.Errorf("client request loop: %v", tr.err)
	}
	return tr.soFar()
}
