package main

import (
	"bufio"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/halvs/halvs/internal/scaleconf"
	"github.com/moby/ipvs"
)

// The reload section (issue 10): `halvs run` and then keepalived run issue 10's table
// (2,000 virtual servers × 16 real servers, no checkers) and one VRRPv3 instance at
// advert_int 0.1 s on a veth whose other end is in namespace rl-peer, where a packet socket
// records every advert with its kernel receive time. Each daemon is reloaded runs+1 times
// (the first is a warm-up, not counted), each time with one weight changed in the file:
// SIGHUP, then the section polls that one real server in the kernel until it has its new
// weight. A reload's window runs from the SIGHUP until a second after the weight applied
// (for halvs, after its log said the reload was done too, whichever came later);
// its advert gaps are compared with those of a window as long just before the SIGHUP, when
// nothing reloads (the floor: how late adverts are on this guest anyway). halvs' own log
// says when its reload was done ("configuration reloaded") and how many IPVS operations
// the reload applied. The section fails when a daemon does not program the table or does
// not apply a change, and when halvs' instance leaves MASTER; it asserts nothing about time.

type reloadOptions struct {
	services   int
	perService int
	runs       int
	interval   time.Duration
	keepalived bool
}

const (
	reloadNS     = "rl-peer"
	reloadIf     = "rl0"  // the director's end, in the guest's own namespace with IPVS
	reloadPeerIf = "eth0" // the peer's end
	reloadPrio   = 150
)

var (
	reloadSelf = netip.MustParsePrefix("10.99.0.1/24")
	reloadPeer = netip.MustParsePrefix("10.99.0.2/24")
	reloadVIP  = netip.MustParsePrefix("10.99.0.100/32")
)

// reloadDaemon is one daemon under test: how to start it on a file, and what its log says.
type reloadDaemon struct {
	name  string
	start func(conf string) (*hcRunning, error)
	file  func(scaleconf.Spec) []byte
	// pids are its processes, whose CPU time a reload is charged.
	pids func(r *hcRunning) ([]int, error)
	// fromLog reads, from the daemon's log after t0, when the reload was done and the IPVS
	// operations it applied; nil for a daemon whose log does not say.
	fromLog func(log string, t0 time.Time) (time.Duration, int, error)
}

func reloadSection(o options, k *kernel, dir string) error {
	ro := o.reload
	spec := scaleconf.Spec{Services: ro.services, PerService: ro.perService, Interface: reloadIf,
		Priority: reloadPrio, AdvertInt: ro.interval, VIP: reloadVIP,
		ControlSocket: filepath.Join(dir, "rl-halvs.sock")}
	if err := spec.Validate(); err != nil {
		return err
	}
	if err := reloadNet(); err != nil {
		return err
	}
	defer command("ip", "netns", "del", reloadNS).Run()
	capt, err := captureAdverts(reloadNS, reloadPeerIf, reloadSelf.Addr())
	if err != nil {
		return err
	}
	defer capt.close()

	daemons := []reloadDaemon{{
		name: "halvs run",
		start: func(conf string) (*hcRunning, error) {
			return startLogged(filepath.Join(dir, "rl-halvs.log"), o.halvs, "run", "-c", conf)
		},
		file:    scaleconf.Spec.HCL,
		pids:    func(r *hcRunning) ([]int, error) { return []int{r.cmd.Process.Pid}, nil },
		fromLog: halvsReloadLog,
	}}
	if ro.keepalived {
		daemons = append(daemons, reloadDaemon{
			name: "keepalived",
			start: func(conf string) (*hcRunning, error) {
				// -l -G: its log goes to its stderr, a file of the guest's tmpfs, as halvs'
				// does; through syslog, with no syslogd, it would reach the serial console,
				// which is slow under emulation.
				return startLogged(filepath.Join(dir, "rl-keepalived.log"), "keepalived", "-n", "-l", "-G", "-f", conf,
					"-p", filepath.Join(dir, "rl-keepalived.pid"), "-c", filepath.Join(dir, "rl-checkers.pid"),
					"-r", filepath.Join(dir, "rl-vrrp.pid"))
			},
			file: scaleconf.Spec.Keepalived,
			pids: func(r *hcRunning) ([]int, error) {
				pids := []int{r.cmd.Process.Pid}
				for _, f := range []string{"rl-checkers.pid", "rl-vrrp.pid"} {
					pid, err := readPID(filepath.Join(dir, f))
					if err != nil {
						return nil, err
					}
					pids = append(pids, pid)
				}
				return pids, nil
			},
		})
	}
	res := reloadResults{table: fmt.Sprintf("%s (%d destinations)", spec, spec.Services*spec.PerService), interval: ro.interval}
	for _, d := range daemons {
		fmt.Printf("reload-bench: %s, %s\n", d.name, spec)
		if err := flush(); err != nil {
			return err
		}
		t, err := measureReloads(ro, k, capt, dir, spec, d)
		if err != nil {
			return fmt.Errorf("%s: %w", d.name, err)
		}
		res.tools = append(res.tools, t)
	}
	if err := flush(); err != nil {
		return err
	}
	res.print(os.Stdout)
	fmt.Println("reload-bench: done")
	return nil
}

// reloadNet makes the veth pair: rl0 here, eth0 in namespace rl-peer.
func reloadNet() error {
	for _, args := range [][]string{
		{"netns", "add", reloadNS},
		{"link", "add", reloadIf, "type", "veth", "peer", "name", reloadPeerIf, "netns", reloadNS},
		{"addr", "add", reloadSelf.String(), "dev", reloadIf},
		{"link", "set", reloadIf, "up"},
		{"-n", reloadNS, "addr", "add", reloadPeer.String(), "dev", reloadPeerIf},
		{"-n", reloadNS, "link", "set", reloadPeerIf, "up"},
	} {
		if _, err := command("ip", args...).Output(); err != nil {
			return wrap("ip "+strings.Join(args, " "), err)
		}
	}
	return nil
}

// writeAtomic replaces path with b in one rename, so that a daemon never reads half a file.
func writeAtomic(path string, b []byte) error {
	tmp := path + ".new"
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// measureReloads starts d on spec, waits for its table and its MASTER adverts, reloads it
// ro.runs+1 times and stops it.
func measureReloads(ro reloadOptions, k *kernel, capt *advertCapture, dir string, spec scaleconf.Spec, d reloadDaemon) (*reloadTool, error) {
	conf := filepath.Join(dir, "rl-"+strings.Fields(d.name)[0]+".conf")
	if err := writeAtomic(conf, d.file(spec)); err != nil {
		return nil, err
	}
	began := time.Now()
	r, err := d.start(conf)
	if err != nil {
		return nil, err
	}
	defer r.stop()
	fail := func(format string, a ...any) (*reloadTool, error) {
		return nil, fmt.Errorf(format+"; its log:\n%s", append(a, r.logTail())...)
	}
	exited := func() error {
		select {
		case <-r.exited:
			return fmt.Errorf("exited (%v)", r.exitErr)
		default:
			return nil
		}
	}
	last := scaleconf.Dest{I: spec.Services - 1, J: spec.PerService - 1}
	for k.weightOf(spec, last) != spec.Weight(last) {
		if err := exited(); err != nil {
			return fail("%v before programming the table", err)
		}
		if time.Since(began) > 5*time.Minute {
			return fail("the table is not programmed after 5 minutes")
		}
		time.Sleep(20 * time.Millisecond)
	}
	t := &reloadTool{name: d.name, started: time.Since(began)}
	if err := k.holds(spec.Table()); err != nil {
		return fail("once started: %v", err)
	}
	for {
		ads, err := capt.since(began)
		if err != nil {
			return nil, fmt.Errorf("advert capture: %w", err)
		}
		if n := len(ads); n >= 10 && ads[n-1].priority == reloadPrio && time.Since(ads[n-1].at) < time.Second {
			break
		}
		if err := exited(); err != nil {
			return fail("%v before advertising as MASTER", err)
		}
		if time.Since(began) > 6*time.Minute {
			return fail("no adverts at priority %d from %v", reloadPrio, reloadSelf.Addr())
		}
		time.Sleep(100 * time.Millisecond)
	}

	pids, err := d.pids(r)
	if err != nil {
		return fail("its processes: %v", err)
	}
	quiet := 3 * time.Second
	for run := range ro.runs + 1 {
		changed := scaleconf.Dest{I: (run*397 + 123) % spec.Services, J: run % spec.PerService}
		spec = spec.WithWeight(changed, spec.Weight(changed)+1)
		if err := writeAtomic(conf, d.file(spec)); err != nil {
			return nil, err
		}
		// The floor's window starts after the previous reload's checks, never over them.
		calm := time.Now()
		time.Sleep(quiet)
		cpu0, err := cpuOf(pids)
		if err != nil {
			return fail("reload %d: %v", run, err)
		}
		t0 := time.Now()
		if err := r.cmd.Process.Signal(syscall.SIGHUP); err != nil {
			return nil, err
		}
		for k.weightOf(spec, changed) != spec.Weight(changed) {
			if err := exited(); err != nil {
				return fail("%v during reload %d", err, run)
			}
			if time.Since(t0) > 3*time.Minute {
				return fail("reload %d: %s of %s has not weight %d after 3 minutes", run,
					spec.RealServer(changed), spec.VirtualServer(changed.I), spec.Weight(changed))
			}
			time.Sleep(5 * time.Millisecond)
		}
		x := reloadRun{applied: time.Since(t0), ops: -1}
		// halvs programs the change before its reload is over (the IPVS diff is queued
		// while the health checks take the new set): the window runs on until the reload
		// is done too, so that no part of it goes unmeasured.
		for d.fromLog != nil {
			b, err := os.ReadFile(r.log)
			if err != nil {
				return nil, err
			}
			if _, _, err := d.fromLog(string(b), t0); !errors.Is(err, errNotReloaded) {
				break // done, or refused: read again below
			}
			if err := exited(); err != nil {
				return fail("%v during reload %d", err, run)
			}
			if time.Since(t0) > 3*time.Minute {
				return fail("reload %d: not done after 3 minutes", run)
			}
			time.Sleep(20 * time.Millisecond)
		}
		time.Sleep(time.Second)
		t1 := time.Now()
		window := t1.Sub(t0)
		cpu1, err := cpuOf(pids)
		if err != nil {
			return fail("reload %d: %v", run, err)
		}
		x.cpu = cpu1 - cpu0
		ads, err := capt.since(t0.Add(-quiet - time.Second))
		if err != nil {
			return nil, fmt.Errorf("advert capture: %w", err)
		}
		var ats []time.Time
		for _, a := range ads {
			if a.priority != reloadPrio && !a.at.After(t1) {
				return fail("reload %d: an advert at priority %d at %v: the instance left MASTER", run, a.priority, a.at.Sub(t0))
			}
			ats = append(ats, a.at)
		}
		late := ro.interval + ro.interval/2
		x.reload = gapsIn(ats, t0, t1, late)
		x.quiet = gapsIn(ats, t0.Add(-min(window, t0.Sub(calm))), t0, late)
		if d.fromLog != nil {
			b, err := os.ReadFile(r.log)
			if err != nil {
				return nil, err
			}
			if x.reloaded, x.ops, err = d.fromLog(string(b), t0); err != nil {
				return fail("reload %d: %v", run, err)
			}
		}
		if err := k.holds(spec.Table()); err != nil {
			return fail("after reload %d: %v", run, err)
		}
		fmt.Printf("reload-bench: %s reload %d: applied in %s (done by its log: %s), CPU %s, largest advert gap %s (before: %s), "+
			"%d IPVS operations, RSS %s\n", d.name, run, ms(x.applied), ms(x.reloaded), ms(x.cpu), ms(x.reload.max), ms(x.quiet.max),
			x.ops, rssOf(pids))
		if run > 0 { // the first reload warms up
			t.runs = append(t.runs, x)
		}
		// As long a window without a reload, up to 20 s: enough adverts for a floor.
		quiet = min(max(quiet, window+time.Second), 20*time.Second)
	}
	return t, nil
}

func readPID(path string) (int, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	return strconv.Atoi(strings.TrimSpace(string(b)))
}

// cpuOf is the CPU time (user and system) the processes used so far.
func cpuOf(pids []int) (time.Duration, error) {
	var sum time.Duration
	for _, pid := range pids {
		u, s, err := procCPU(pid)
		if err != nil {
			return 0, err
		}
		sum += u + s
	}
	return sum, nil
}

// rssOf is the processes' resident memory, VmRSS from /proc/PID/status, for the progress lines.
func rssOf(pids []int) string {
	var kb int
	for _, pid := range pids {
		b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
		for _, line := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
				n, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(v), " kB"))
				kb += n
			}
		}
	}
	return fmt.Sprintf("%d MiB", kb/1024)
}

// weightOf is real server d's weight in the kernel, -1 while it is missing: one small
// netlink dump of its service, cheap enough to poll.
func (k *kernel) weightOf(s scaleconf.Spec, d scaleconf.Dest) int {
	a, rs := s.VirtualServer(d.I), s.RealServer(d)
	ds, err := k.h.GetDestinations(&ipvs.Service{AddressFamily: syscall.AF_INET, Protocol: syscall.IPPROTO_TCP,
		Address: net.IP(a.Addr().AsSlice()), Port: a.Port()})
	if err != nil {
		return -1
	}
	for _, x := range ds {
		if x.Port == rs.Port() && x.Address.Equal(net.IP(rs.Addr().AsSlice())) {
			return x.Weight
		}
	}
	return -1
}

// errNotReloaded: halvs' log has no "configuration reloaded" since the SIGHUP yet.
var errNotReloaded = errors.New(`no "configuration reloaded" in halvs' log`)

// halvsReloadLog reads halvs' text log from t0 on: when it logged "configuration reloaded"
// (since t0), and the operations of its "IPVS table updated" lines after it.
func halvsReloadLog(log string, t0 time.Time) (time.Duration, int, error) {
	var done time.Duration
	ops := 0
	sc := bufio.NewScanner(strings.NewReader(log))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		at, ok := logTime(line)
		if !ok || at.Before(t0) {
			continue
		}
		switch {
		case strings.Contains(line, `msg="configuration reloaded"`):
			done = at.Sub(t0)
		case strings.Contains(line, `msg="IPVS table updated"`):
			n, err := strconv.Atoi(logField(line, "operations"))
			if err != nil {
				return 0, 0, fmt.Errorf("log line %q: %w", line, err)
			}
			ops += n
		case strings.Contains(line, "reload refused"):
			return 0, 0, fmt.Errorf("halvs refused the reload: %s", line)
		}
	}
	if done == 0 {
		return 0, 0, errNotReloaded
	}
	return done, ops, sc.Err()
}

// logTime is the time= field of a log/slog text line.
func logTime(line string) (time.Time, bool) {
	t, err := time.Parse(time.RFC3339Nano, logField(line, "time"))
	return t, err == nil
}

// logField is the unquoted value of key=value in a log/slog text line.
func logField(line, key string) string {
	i := strings.Index(" "+line, " "+key+"=")
	if i < 0 {
		return ""
	}
	v := line[i+len(key)+1:]
	if end := strings.IndexByte(v, ' '); end >= 0 {
		v = v[:end]
	}
	return v
}
