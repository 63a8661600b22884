package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// The health-check section: the same n tcp_checks (hcTable) run in turn by keepalived's
// checker (`keepalived -C -n`), by `halvs run` and by the healthcheck scheduler alone in a
// child process, against one listener process; for each, the CPU its processes used over a
// window once every check has run, and the checks that ran in it (connections the listeners
// accepted). See hcresults.go for the table.

type hcOptions struct {
	n      int
	base   int
	window time.Duration
	runs   int
}

// hcProc is one process of a checker under test; pid is resolved once the checker is up
// (keepalived's checker child writes its pid file after it forks).
type hcProc struct {
	name string
	pid  func() (int, error)
}

// hcRunning is a checker under test, started.
type hcRunning struct {
	procs    []hcProc
	exited   chan struct{} // closed when its main process exited, exitErr set
	exitErr  error
	cmd      *exec.Cmd
	log      string
	programs bool // it programs the IPVS table (halvs run, keepalived)
}

func (r *hcRunning) logTail() string {
	b, _ := os.ReadFile(r.log)
	return tail(string(b))
}

// stop sends SIGTERM and waits (a minute, then SIGKILL).
func (r *hcRunning) stop() {
	select {
	case <-r.exited:
		return
	default:
	}
	r.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-r.exited:
	case <-time.After(time.Minute):
		r.cmd.Process.Kill()
		<-r.exited
	}
}

// startLogged starts name args with stdout and stderr in a file of the guest's tmpfs (a
// pipe to this process would wake it at every line).
func startLogged(logName string, name string, args ...string) (*hcRunning, error) {
	f, err := os.Create(logName)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	cmd := exec.Command(name, args...)
	cmd.Stdout, cmd.Stderr = f, f
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	r := &hcRunning{cmd: cmd, log: logName, exited: make(chan struct{})}
	go func() { r.exitErr = cmd.Wait(); close(r.exited) }()
	pid := cmd.Process.Pid
	r.procs = []hcProc{{name: filepath.Base(name), pid: func() (int, error) { return pid, nil }}}
	return r, nil
}

func startKeepalived(dir, conf string) (*hcRunning, error) {
	pidFile, childFile := filepath.Join(dir, "hc-keepalived.pid"), filepath.Join(dir, "hc-checkers.pid")
	os.Remove(childFile)
	r, err := startLogged(filepath.Join(dir, "hc-keepalived.log"), "keepalived",
		"-C", "-n", "-l", "-G", "-f", conf, "-p", pidFile, "-c", childFile)
	if err != nil {
		return nil, err
	}
	r.programs = true
	parent := r.cmd.Process.Pid
	r.procs[0].name = "parent"
	r.procs = append(r.procs, hcProc{name: "checker", pid: func() (int, error) {
		b, err := os.ReadFile(childFile)
		if err != nil {
			return 0, err
		}
		pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
		if err != nil {
			return 0, fmt.Errorf("%s: %w", childFile, err)
		}
		if pp := parentOf(pid); pp != parent {
			return 0, fmt.Errorf("checker pid %d has parent %d, not keepalived's %d", pid, pp, parent)
		}
		return pid, nil
	}})
	return r, nil
}

// parentOf is a process's parent pid from /proc/PID/stat (field 4), -1 if unknown.
func parentOf(pid int) int {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return -1
	}
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(f) < 2 {
		return -1
	}
	pp, err := strconv.Atoi(f[1])
	if err != nil {
		return -1
	}
	return pp
}

func startHalvs(bin, dir, conf string) (*hcRunning, error) {
	// halvs check first: a configuration it refuses fails here, with its diagnostics.
	if _, err := command(bin, "check", "-c", conf).Output(); err != nil {
		return nil, wrap("halvs check -c "+conf, err)
	}
	r, err := startLogged(filepath.Join(dir, "hc-halvs.log"), bin, "run", "-c", conf)
	if err != nil {
		return nil, err
	}
	r.programs = true
	r.procs[0].name = "halvs run"
	return r, nil
}

func startScheduler(dir, conf string) (*hcRunning, error) {
	r, err := startLogged(filepath.Join(dir, "hc-scheduler.log"), os.Args[0], "-hc-scheduler", conf)
	if err != nil {
		return nil, err
	}
	r.procs[0].name = "scheduler"
	return r, nil
}

// hcSection runs the section and prints its table.
func hcSection(o options, k *kernel, dir string) error {
	tb := hcTable{n: o.hc.n, base: o.hc.base}
	if err := tb.validate(); err != nil {
		return err
	}
	hclFile, kaFile := filepath.Join(dir, "hc.hcl"), filepath.Join(dir, "hc-keepalived.conf")
	if err := os.WriteFile(hclFile, []byte(tb.hcl(filepath.Join(dir, "hc-halvs.sock"))), 0o644); err != nil {
		return err
	}
	if err := os.WriteFile(kaFile, []byte(tb.keepalived()), 0o644); err != nil {
		return err
	}
	l, err := startListeners(tb.n, tb.base)
	if err != nil {
		return err
	}
	defer l.stop()

	res := hcResults{table: tb, window: o.hc.window, runs: o.hc.runs}
	checkers := []struct {
		name  string
		start func() (*hcRunning, error)
	}{
		{"keepalived -C -n", func() (*hcRunning, error) { return startKeepalived(dir, kaFile) }},
		{"halvs run", func() (*hcRunning, error) { return startHalvs(o.halvs, dir, hclFile) }},
		{"healthcheck scheduler in-process", func() (*hcRunning, error) { return startScheduler(dir, hclFile) }},
	}
	res.checkers = make([]hcChecker, len(checkers))
	// Runs interleave the checkers (A B C A B C ...), so a slow spell of the host spreads
	// over all of them rather than landing on one.
	for run := range o.hc.runs {
		for i, c := range checkers {
			fmt.Printf("hc-bench: %s, %s, run %d/%d\n", c.name, tb, run+1, o.hc.runs)
			if err := flush(); err != nil {
				return err
			}
			row, err := measureChecker(o.hc, k, l, tb, c.start)
			if err != nil {
				return fmt.Errorf("%s: %w", c.name, err)
			}
			res.checkers[i].name = c.name
			res.checkers[i].runs = append(res.checkers[i].runs, row)
		}
	}
	if err := flush(); err != nil {
		return err
	}
	res.print(os.Stdout)
	fmt.Println("hc-bench: done")
	return nil
}

// hcSample is one reading of everything the window compares.
type hcSample struct {
	at       time.Time
	procs    []time.Duration // user+sys per process, in hcRunning.procs order
	user     time.Duration   // of all procs
	listener time.Duration
	system   cpuStat
	accepted int64
}

func takeSample(pids []int, l *listeners) (hcSample, error) {
	s := hcSample{at: time.Now()}
	for _, pid := range pids {
		u, k, err := procCPU(pid)
		if err != nil {
			return s, err
		}
		s.procs = append(s.procs, u+k)
		s.user += u
	}
	u, k, err := procCPU(l.pid())
	if err != nil {
		return s, err
	}
	s.listener = u + k
	if s.system, err = systemCPU(); err != nil {
		return s, err
	}
	s.accepted, _, err = l.stat()
	return s, err
}

// measureChecker starts a checker, waits until it programmed the table (when it does) and
// every check ran at least once, lets it run two more delay_loops, then measures it over
// the window and stops it.
func measureChecker(o hcOptions, k *kernel, l *listeners, tb hcTable, start func() (*hcRunning, error)) (hcRow, error) {
	if err := l.reset(); err != nil {
		return hcRow{}, err
	}
	r, err := start()
	if err != nil {
		return hcRow{}, err
	}
	defer r.stop()
	fail := func(format string, a ...any) (hcRow, error) {
		return hcRow{}, fmt.Errorf(format+"; its log:\n%s", append(a, r.logTail())...)
	}
	// wait sleeps d unless the checker exits first.
	wait := func(d time.Duration) error {
		select {
		case <-r.exited:
			return fmt.Errorf("exited (%v)", r.exitErr)
		case <-time.After(d):
			return nil
		}
	}
	want := tb.lvs()
	began := time.Now()
	deadline := began.Add(2 * time.Minute)
	var pids []int
	for {
		if err := wait(200 * time.Millisecond); err != nil {
			return fail("%v before every check ran", err)
		}
		_, seen, err := l.stat()
		if err != nil {
			return hcRow{}, err
		}
		tableErr := error(nil)
		if r.programs {
			tableErr = k.holds(want)
		}
		pids, err = resolvePIDs(r.procs)
		if seen == tb.n && tableErr == nil && err == nil {
			break
		}
		if time.Now().After(deadline) {
			return fail("after %v, %d of %d checks had run; table: %v; processes: %v",
				time.Since(began).Round(time.Second), seen, tb.n, tableErr, err)
		}
	}
	ready := time.Since(began)
	if err := wait(2 * hcDelayLoop * time.Second); err != nil {
		return fail("%v while settling", err)
	}
	s0, err := takeSample(pids, l)
	if err != nil {
		return hcRow{}, err
	}
	if err := wait(o.window); err != nil {
		return fail("%v during the window", err)
	}
	s1, err := takeSample(pids, l)
	if err != nil {
		return hcRow{}, err
	}
	// Every listener was up: a real server taken out means a check failed, and the figures
	// would not be those of passing checks.
	if r.programs {
		if err := k.holds(want); err != nil {
			return fail("after the window (a check failed against a live listener?): %v", err)
		}
	} else if b, _ := os.ReadFile(r.log); strings.Contains(string(b), schedulerDown) {
		return fail("a check failed against a live listener")
	}
	row := hcRow{ready: ready, wall: s1.at.Sub(s0.at), checks: s1.accepted - s0.accepted,
		user: s1.user - s0.user, listener: s1.listener - s0.listener,
		busy: s1.system.busy - s0.system.busy, softirq: s1.system.softirq - s0.system.softirq}
	for i, p := range r.procs {
		row.procs = append(row.procs, hcProcCPU{name: p.name, pid: pids[i], cpu: s1.procs[i] - s0.procs[i]})
	}
	if row.checks <= 0 {
		return fail("no check ran during the %v window", row.wall)
	}
	return row, nil
}

func resolvePIDs(procs []hcProc) ([]int, error) {
	var pids []int
	var errs []error
	for _, p := range procs {
		pid, err := p.pid()
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", p.name, err))
		}
		pids = append(pids, pid)
	}
	return pids, errors.Join(errs...)
}
