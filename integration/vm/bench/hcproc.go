package main

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// userHZ is the unit of /proc's CPU times: USER_HZ, 100 on every Linux architecture Go's
// VM tier runs (the kernel's own HZ does not change it).
const userHZ = 100

func ticks(n uint64) time.Duration { return time.Duration(n) * time.Second / userHZ }

// procCPU is a process's CPU time so far, all its threads: utime and stime from
// /proc/PID/stat (fields 14 and 15).
func procCPU(pid int) (user, sys time.Duration, err error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, 0, err
	}
	return parseProcStat(string(b))
}

// parseProcStat reads utime and stime from a /proc/PID/stat line. The command name (field
// 2) is in parentheses and may hold spaces or parentheses itself, so fields are counted
// from the last ')'.
func parseProcStat(s string) (user, sys time.Duration, err error) {
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, 0, errors.New("/proc/PID/stat: no command name")
	}
	f := strings.Fields(s[i+1:]) // f[0] is field 3, the state
	if len(f) < 13 {
		return 0, 0, fmt.Errorf("/proc/PID/stat: %d fields after the name, want at least 13", len(f))
	}
	u, err1 := strconv.ParseUint(f[11], 10, 64)
	k, err2 := strconv.ParseUint(f[12], 10, 64)
	if err := errors.Join(err1, err2); err != nil {
		return 0, 0, fmt.Errorf("/proc/PID/stat: %w", err)
	}
	return ticks(u), ticks(k), nil
}

// cpuStat is the guest's whole CPU time by kind, the first line of /proc/stat: with one
// vCPU, busy (everything but idle and iowait) over wall time is how loaded it was,
// including the listener process and the softirq work of both ends of every loopback
// connection, wherever the kernel charged it.
type cpuStat struct {
	busy, idle, softirq time.Duration
}

func systemCPU() (cpuStat, error) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return cpuStat{}, err
	}
	line, _, _ := strings.Cut(string(b), "\n")
	return parseCPULine(line)
}

// parseCPULine reads "cpu user nice system idle iowait irq softirq steal ...".
func parseCPULine(line string) (cpuStat, error) {
	f := strings.Fields(line)
	if len(f) < 8 || f[0] != "cpu" {
		return cpuStat{}, fmt.Errorf("/proc/stat: first line %q", line)
	}
	var s cpuStat
	for i, v := range f[1:] {
		if i >= 8 { // guest and guest_nice are already in user and nice
			break
		}
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			return cpuStat{}, fmt.Errorf("/proc/stat: %w", err)
		}
		switch i {
		case 3, 4: // idle, iowait
			s.idle += ticks(n)
		default:
			s.busy += ticks(n)
		}
		if i == 6 {
			s.softirq = ticks(n)
		}
	}
	return s, nil
}
