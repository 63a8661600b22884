package director

import (
	"runtime"

	"golang.org/x/sys/unix"
)

// reloadNice is the nice value of the threads that do a reload's heavy work (parse,
// translate, the IPVS diff and its netlink traffic): the lowest priority, so that on a busy
// machine the kernel runs the advert path's threads first whenever they are runnable.
const reloadNice = 19

// LowPriority runs f on an OS thread of its own at nice 19 (but with one P, see
// lowerThreadPriority) and returns when f has returned. The thread is never handed back to other goroutines: it ends with f (a
// goroutine that exits locked to its thread takes the thread with it), so no VRRP work ever
// lands on a thread left at the lowest priority. For a reload's parse (cmd/halvs), its
// translation (Reload) and its IPVS work (ipvsSide.start and reload).
func LowPriority(f func()) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		lowerThreadPriority()
		f()
	}()
	<-done
}

// lowerThreadPriority locks the calling goroutine to its thread, for good, and lowers that
// thread's priority to reloadNice. Raising one's own nice value needs no privilege; should
// it fail all the same, the work runs at the usual priority.
//
// With one P (GOMAXPROCS 1, Go's default on one CPU) the priority stays as it is. A thread
// runs Go code only while it holds a P: one at nice 19 holding the only one keeps the
// advert path's goroutine waiting until it is preempted and, at nice 19, until the kernel
// lets it run to hand the P over, which any busy thread at nice 0 delays; raising
// GOMAXPROCS instead lets the garbage collector's idle mark workers, at nice 0, take the
// CPU from it. In the VM bench (one vCPU) either made a reload of 2,000 × 16 take minutes.
// So one CPU also leaves it as it is, whatever GOMAXPROCS is (vrrp_rt_priority raises it).
func lowerThreadPriority() {
	runtime.LockOSThread()
	if runtime.GOMAXPROCS(0) < 2 || runtime.NumCPU() < 2 {
		return
	}
	_ = unix.Setpriority(unix.PRIO_PROCESS, unix.Gettid(), reloadNice)
}
