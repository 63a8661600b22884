package director

import (
	"runtime"

	"golang.org/x/sys/unix"
)

// reloadNice is the nice value of the threads that do a reload's heavy work (parse,
// translate, the IPVS diff and its netlink traffic): the lowest priority, so that on a busy
// or single CPU the kernel runs the advert path's threads first whenever they are runnable.
const reloadNice = 19

// LowPriority runs f on an OS thread of its own at nice 19 and returns when f has
// returned. The thread is never handed back to other goroutines: it ends with f (a
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
// A thread runs Go code only while it holds a P, and with GOMAXPROCS 1 (Go's default on
// one CPU) there is one: a low-priority thread holding it would keep the advert path's
// goroutine waiting for the scheduler's preemption (10 ms or more), and longer still when
// other processes keep the CPU from the thread at nice 19, which must run to hand the P
// over. So GOMAXPROCS is raised to minProcs: the advert path finds a P free, and the
// kernel, not Go's scheduler, shares the CPU, in favour of the threads at nice 0.
func lowerThreadPriority() {
	spareP()
	runtime.LockOSThread()
	_ = unix.Setpriority(unix.PRIO_PROCESS, unix.Gettid(), reloadNice)
}

// minProcs is the GOMAXPROCS that lowerThreadPriority ensures: one P for each thread that
// may hold one at low priority at once (a reload's parse or translate, its IPVS work),
// one for the garbage collector's dedicated mark worker (a quarter of the Ps, rounded),
// and one left for the advert path. On a machine with more CPUs it changes nothing.
const minProcs = 4

func spareP() {
	if runtime.GOMAXPROCS(0) < minProcs {
		runtime.GOMAXPROCS(minProcs)
	}
}
