package main

import (
	"fmt"
	"time"

	"golang.org/x/sys/unix"
)

// floor measures the least CPU a tcp_check can cost on this machine: the system calls of
// halvs' probe on a local peer (a non-blocking socket, connect asked twice, close), made by
// one goroutine in a tight loop at the scheduler's rate and in its 10 ms batches, against the
// same listeners (ports), with no scheduler, no result handling and no goroutine per check. What the
// scheduler costs above it is halvs' own overhead; the floor itself is the kernel's work for a
// handshake and a FIN, on loopback both ends of it.
func floor(ports []int, perSecond float64, window time.Duration) (perCheck time.Duration, checks int, err error) {
	const batch = 10 * time.Millisecond
	perBatch := max(1, int(perSecond*batch.Seconds()))
	sa := &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}
	next := 0
	cpu0, start := cpuTime(), time.Now()
	for tick := start; time.Since(start) < window; {
		for range perBatch {
			sa.Port = ports[next]
			next = (next + 1) % len(ports)
			fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, unix.IPPROTO_TCP)
			if err != nil {
				return 0, checks, fmt.Errorf("floor: socket: %w", err)
			}
			err = unix.Connect(fd, sa)
			if err == unix.EINPROGRESS {
				err = unix.Connect(fd, sa)
			}
			unix.Close(fd)
			if err != nil && err != unix.EISCONN {
				return 0, checks, fmt.Errorf("floor: connect 127.0.0.1:%d: %w", sa.Port, err)
			}
			checks++
		}
		tick = tick.Add(batch)
		time.Sleep(time.Until(tick))
	}
	cpu := cpuTime().sub(cpu0)
	return (cpu.user + cpu.sys) / time.Duration(max(1, checks)), checks, nil
}
