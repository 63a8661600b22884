package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/halvs/halvs/lvs"
	"github.com/moby/ipvs"
)

// kernel is this process' view of the guest's IPVS table: lvs' backend to check tables and
// run the in-process figures, and a bare moby/ipvs handle for cheap polling.
type kernel struct {
	k *lvs.Kernel
	h *ipvs.Handle
}

func openKernel() (*kernel, error) {
	k, err := lvs.NewKernel()
	if err != nil {
		return nil, err
	}
	h, err := ipvs.New("")
	if err != nil {
		k.Close()
		return nil, err
	}
	return &kernel{k: k, h: h}, nil
}

func (k *kernel) close() {
	k.h.Close()
	k.k.Close()
}

// holds says whether the kernel's table is exactly want, no service more or less.
func (k *kernel) holds(want []lvs.VirtualServer) error {
	cur, err := k.k.Services()
	if err != nil {
		return err
	}
	if ops := lvs.Diff(cur, want, nil); len(ops) > 0 || len(cur) != len(want) {
		return fmt.Errorf("the kernel holds %d services, want %d; %d operations from the wanted table (first: %v)",
			len(cur), len(want), len(ops), first(ops))
	}
	return nil
}

func first(ops []lvs.Op) string {
	if len(ops) == 0 {
		return "none"
	}
	return ops[0].String()
}

// destinations counts the real servers of service s, or -1 while s is missing: one small
// netlink dump, cheap enough to poll while keepalived programs.
func (k *kernel) destinations(s lvs.ServiceKey) int {
	a := s.Addr
	ds, err := k.h.GetDestinations(&ipvs.Service{AddressFamily: syscall.AF_INET, Protocol: syscall.IPPROTO_TCP,
		Address: net.IP(a.Addr().AsSlice()), Port: a.Port()})
	if err != nil {
		return -1
	}
	return len(ds)
}

// flush empties the table (ipvsadm -C) between runs.
func flush() error {
	_, err := command("ipvsadm", "-C").Output()
	return wrap("ipvsadm -C", err)
}

// command is exec.Command with stderr kept for wrap's error message.
func command(name string, args ...string) *exec.Cmd {
	cmd := exec.Command(name, args...)
	cmd.Stderr = &bytes.Buffer{}
	return cmd
}

func wrap(what string, err error) error {
	if err == nil {
		return nil
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return fmt.Errorf("%s: %w: %s", what, err, strings.TrimSpace(string(ee.Stderr)))
	}
	return fmt.Errorf("%s: %w", what, err)
}

// timeHalvs runs `halvs ipvs -c file` and returns its run time and the operations it printed
// (each on its own line in ipvsadm's notation, "-a -t ..."). Its output goes to a file in
// the guest's tmpfs, not a pipe: halvs writes one line per operation, and over a pipe to
// this process each write would hand the single vCPU to the reader and back.
func timeHalvs(bin, file string) (time.Duration, int, error) {
	out, err := os.CreateTemp("", "halvs-ipvs-out")
	if err != nil {
		return 0, 0, err
	}
	defer os.Remove(out.Name())
	defer out.Close()
	cmd := command(bin, "ipvs", "-c", file)
	cmd.Stdout = out
	start := time.Now()
	err = cmd.Run()
	d := time.Since(start)
	if err != nil {
		return 0, 0, fmt.Errorf("halvs ipvs -c %s: %w: %s", file, err, cmd.Stderr)
	}
	if _, err := out.Seek(0, 0); err != nil {
		return 0, 0, err
	}
	ops := 0
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		if strings.HasPrefix(sc.Text(), "-") {
			ops++
		}
	}
	return d, ops, sc.Err()
}

// timeRestore runs `ipvsadm --restore <file`.
func timeRestore(file string) (time.Duration, error) {
	f, err := os.Open(file)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	cmd := command("ipvsadm", "--restore")
	cmd.Stdin = f
	start := time.Now()
	_, err = cmd.Output()
	return time.Since(start), wrap("ipvsadm --restore <"+file, err)
}

// timeIpvsadm runs one ipvsadm command.
func timeIpvsadm(args ...string) (time.Duration, error) {
	start := time.Now()
	_, err := command("ipvsadm", args...).Output()
	return time.Since(start), wrap("ipvsadm "+strings.Join(args, " "), err)
}

// timeKeepalived starts keepalived's checker process on conf and returns how long it took
// until the kernel held want, and how long its stop took (keepalived removes its services
// when it stops; the table is empty afterwards).
func timeKeepalived(k *kernel, dir, conf string, want []lvs.VirtualServer) (prog, stop time.Duration, err error) {
	var log bytes.Buffer
	cmd := exec.Command("keepalived", "-C", "-n", "-l", "-G", "-f", conf,
		"-p", filepath.Join(dir, "keepalived.pid"), "-c", filepath.Join(dir, "checkers.pid"))
	cmd.Stdout, cmd.Stderr = &log, &log
	last := want[len(want)-1]
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return 0, 0, err
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	defer func() {
		if cmd.ProcessState == nil { // still running after a failure: do not leave it behind
			cmd.Process.Kill()
			<-exited
		}
	}()
	// keepalived adds the services in configuration order, each followed by its real
	// servers: the last one complete means the table is, which the full check confirms.
	complete := false
	deadline := start.Add(5 * time.Minute)
	for !complete {
		select {
		case err := <-exited:
			return 0, 0, fmt.Errorf("keepalived exited before programming the table (%v):\n%s", err, tail(log.String()))
		case <-time.After(5 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return 0, 0, fmt.Errorf("keepalived did not program the table within 5 minutes:\n%s", tail(log.String()))
		}
		if k.destinations(last.Service.Key) == len(last.Destinations) {
			prog = time.Since(start)
			complete = k.holds(want) == nil
		}
	}

	stopAt := time.Now()
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		return 0, 0, err
	}
	select {
	case <-exited:
	case <-time.After(2 * time.Minute):
		return 0, 0, errors.New("keepalived did not stop within 2 minutes of SIGTERM")
	}
	stop = time.Since(stopAt)
	if err := k.holds(nil); err != nil {
		return 0, 0, fmt.Errorf("after keepalived stopped: %w", err)
	}
	return prog, stop, nil
}

// tail is the end of a log, for error messages.
func tail(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > 20 {
		lines = lines[len(lines)-20:]
	}
	return strings.Join(lines, "\n")
}
