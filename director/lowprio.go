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
// lands on a thread left at the lowest priority. For a reload's parse (cmd/halvs) and
// translate (Reload).
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
func lowerThreadPriority() {
	runtime.LockOSThread()
	_ = unix.Setpriority(unix.PRIO_PROCESS, unix.Gettid(), reloadNice)
}
