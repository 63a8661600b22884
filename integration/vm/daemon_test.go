//go:build vmtest

package vm

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// halvsd is one `halvs run` in a director's namespace, as it would run on its own machine.
// The test owns it: it is stopped (or killed) by PID when the test ends, whatever happened.
type halvsd struct {
	name string // "A" or "B", for messages
	host host
	conf string
	log  string // stderr of every run of this director, appended: restarts share the file

	cmd  *exec.Cmd
	done chan struct{}
}

// startHalvs starts `halvs run -c conf` in h's namespace. Each director gets a private /run
// (ip netns exec already gives it its own mount namespace: a directory of its own is bound
// there), so the seed's default control socket /run/halvs.sock is one per director, as on two
// machines; it outlives the daemon, as /run does a crash, so a restart finds the VIP record
// beside the socket. rebuildDirector empties it, as a reboot does.
func startHalvs(t *testing.T, name string, h host, conf, logPath string) *halvsd {
	t.Helper()
	d := &halvsd{name: name, host: h, conf: conf, log: logPath}
	d.start(t)
	t.Cleanup(func() { d.stop(t) })
	return d
}

// start (re)starts the daemon; its log is appended to.
func (d *halvsd) start(t *testing.T) {
	t.Helper()
	out, err := os.OpenFile(d.log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	d.cmd = exec.Command("ip", "netns", "exec", d.host.ns, "sh", "-ec",
		`mkdir -p "$2"; mount -o bind "$2" /run; exec "$0" run -c "$1"`, halvsBin(), d.conf, runDir(d.host))
	d.cmd.Stdout, d.cmd.Stderr = out, out
	if err := d.cmd.Start(); err != nil {
		t.Fatalf("starting halvs on director %s: %v", d.name, err)
	}
	done := make(chan struct{})
	d.done = done
	go func(cmd *exec.Cmd) { cmd.Wait(); close(done) }(d.cmd)
}

// runDir is the directory a director's daemons see as /run.
func runDir(h host) string { return "/tmp/halvs-run-" + h.ns }

// running reports whether the daemon's process is alive.
func (d *halvsd) running() bool {
	select {
	case <-d.done:
		return false
	default:
		return true
	}
}

// kill ends the daemon with SIGKILL, as a crash would: it releases nothing.
func (d *halvsd) kill(t *testing.T) time.Time {
	t.Helper()
	at := time.Now()
	d.cmd.Process.Signal(syscall.SIGKILL)
	<-d.done
	return at
}

// stop ends the daemon with SIGTERM (it releases the VIP and removes its IPVS services), or
// SIGKILL if it takes too long; then it clears whatever a killed run left in the namespace.
func (d *halvsd) stop(t *testing.T) {
	t.Helper()
	d.term(t)
	clearDirector(d.host)
}

// term ends the daemon with SIGTERM, or SIGKILL if it takes too long, and leaves the
// namespace and the client as they are (a graceful stop as an operator does it).
func (d *halvsd) term(t *testing.T) {
	t.Helper()
	if d.running() {
		d.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-d.done:
		case <-time.After(20 * time.Second):
			t.Errorf("halvs on director %s ignored SIGTERM for 20 s; killed", d.name)
			d.cmd.Process.Signal(syscall.SIGKILL)
			<-d.done
		}
	}
}

// clearDirector clears what a killed daemon leaves in director h's namespace (services, sync
// daemons, the VIP, neighbours) and the client's neighbour table.
func clearDirector(h host) {
	nsRunErr(h.ns, fmt.Sprintf(`ipvsadm -C
ipvsadm --stop-daemon master 2>/dev/null || true
ipvsadm --stop-daemon backup 2>/dev/null || true
ip addr del %s/32 dev eth0 2>/dev/null || true
ip neigh flush all`, vip))
	nsRunErr(client.ns, "ip neigh flush all")
}

// logEntry is one line of halvs' text log.
type logEntry struct {
	at   time.Time
	line string
}

// entries reads the daemon's log; lines without a time= field (a panic, say) get the zero time.
func (d *halvsd) entries() []logEntry {
	f, err := os.Open(d.log)
	if err != nil {
		return nil
	}
	defer f.Close()
	var out []logEntry
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		e := logEntry{line: sc.Text()}
		if rest, ok := strings.CutPrefix(e.line, "time="); ok {
			stamp, _, _ := strings.Cut(rest, " ")
			e.at, _ = time.Parse(time.RFC3339Nano, stamp)
		}
		out = append(out, e)
	}
	return out
}

// find returns the time of the first log line at or after since that holds every one of words.
func (d *halvsd) find(since time.Time, words ...string) (time.Time, bool) {
	for _, e := range d.entries() {
		if e.at.Before(since) {
			continue
		}
		all := true
		for _, w := range words {
			all = all && strings.Contains(e.line, w)
		}
		if all {
			return e.at, true
		}
	}
	return time.Time{}, false
}

// waitLog waits up to limit for a log line at or after since holding every one of words and
// returns its time; it fails the test (with the log's tail) when none comes.
func (d *halvsd) waitLog(t *testing.T, since time.Time, limit time.Duration, words ...string) time.Time {
	t.Helper()
	at, ok := d.waitFor(since, limit, words...)
	if !ok {
		t.Fatalf("director %s: no log line with %q within %v; its log:\n%s", d.name, words, limit, d.tail(40))
	}
	return at
}

// waitFor is waitLog that reports instead of failing.
func (d *halvsd) waitFor(since time.Time, limit time.Duration, words ...string) (time.Time, bool) {
	deadline := time.Now().Add(limit)
	for {
		if at, ok := d.find(since, words...); ok {
			return at, true
		}
		if time.Now().After(deadline) {
			return time.Time{}, false
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// tail is the last n lines of the daemon's log, for failure messages.
func (d *halvsd) tail(n int) string {
	b, _ := os.ReadFile(d.log)
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// masterState is the log words of a VRRP transition of the seed's instance.
func stateWords(state string) []string {
	return []string{`msg="Entering ` + state + ` STATE"`, "instance=VI_1"}
}

// healthWords are the log words of a health event for real server rs (RealServerDown/Up).
func healthWords(event string, rs host) []string {
	return []string{`msg="healthcheck: ` + event + `"`, "real_server=" + rs.addr.String() + ":80"}
}

// rsIndex is rs's position in realServers (and in the lab's httpdPIDs).
func rsIndex(t *testing.T, rs host) int {
	t.Helper()
	for i, r := range realServers {
		if r == rs {
			return i
		}
	}
	t.Fatalf("%s is not a real server", rs.ns)
	return -1
}

// stopHTTPD kills the lab's httpd on rs (SIGKILL: the port closes at once) and returns when.
// The test restarts it when it ends, so the next test finds the lab as it was.
func stopHTTPD(t *testing.T, rs host) time.Time {
	t.Helper()
	i := rsIndex(t, rs)
	if p, err := os.FindProcess(httpdPIDs[i]); err == nil {
		p.Kill()
	}
	at := time.Now()
	httpdPIDs[i] = 0
	t.Cleanup(func() {
		if httpdPIDs[i] == 0 {
			startHTTPD(t, rs)
		}
	})
	return at
}

// startHTTPD starts rs's httpd again on the lab's page and returns when it was started.
func startHTTPD(t *testing.T, rs host) time.Time {
	t.Helper()
	i := rsIndex(t, rs)
	out := nsRun(t, rs.ns, fmt.Sprintf("httpd -f -p 80 -h /tmp/www-%s </dev/null >/dev/null 2>&1 &\necho $!", rs.ns))
	at := time.Now()
	pid, err := strconv.Atoi(strings.TrimSpace(out))
	if err != nil {
		t.Fatalf("httpd pid on %s: %q", rs.ns, out)
	}
	httpdPIDs[i] = pid
	return at
}

// seedVariant writes the seed director config name ("director-a.hcl") with each replacement
// applied (old, new pairs; each old must occur) to dir and returns its path.
func seedVariant(t *testing.T, dir, name string, replace ...string) string {
	t.Helper()
	b, err := os.ReadFile(repoPath("examples/seed/" + name))
	if err != nil {
		t.Fatal(err)
	}
	src := string(b)
	for i := 0; i+1 < len(replace); i += 2 {
		if !strings.Contains(src, replace[i]) {
			t.Fatalf("examples/seed/%s no longer contains %q: update this test", name, replace[i])
		}
		src = strings.ReplaceAll(src, replace[i], replace[i+1])
	}
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// freshDirectors gives both directors new namespaces when the test ends. A director that ran
// traffic keeps IPVS connection entries for minutes after the connections closed, and they
// re-attach to any destination added later with the same address: tests that count
// connections (TestDRForwardingWithIpvsadm) need a director without them. The only way to
// drop them is to drop the namespace's IPVS state, so the namespace is made again exactly as
// buildLab makes it: eth0, a veth to the bridge, the director's address.
func freshDirectors(t *testing.T) {
	t.Helper()
	t.Cleanup(func() {
		var sb strings.Builder
		for _, h := range []host{dirA, dirB} {
			// Deleting the bridge's end first removes both ends at once; the namespace's own
			// teardown is asynchronous.
			fmt.Fprintf(&sb, "ip -n %s link del v-%s 2>/dev/null || true\n", lanNS, h.ns)
			fmt.Fprintf(&sb, "ip netns del %s\n", h.ns)
			fmt.Fprintf(&sb, "ip netns add %[1]s; ip -n %[1]s link set lo up\n", h.ns)
			fmt.Fprintf(&sb, "ip -n %s link add v-%s type veth peer name eth0 netns %s\n", lanNS, h.ns, h.ns)
			fmt.Fprintf(&sb, "ip -n %s link set v-%s master br0 up\n", lanNS, h.ns)
			fmt.Fprintf(&sb, "ip -n %s addr add %s/24 dev eth0\n", h.ns, h.addr)
			fmt.Fprintf(&sb, "ip -n %s link set eth0 up\n", h.ns)
		}
		fmt.Fprintf(&sb, "ip -n %s neigh flush all\n", client.ns)
		if _, err := runErr("sh", "-ec", shPrelude+sb.String()); err != nil {
			t.Errorf("making the directors' namespaces again: %v", err)
		}
	})
}
