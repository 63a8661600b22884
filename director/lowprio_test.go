package director

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// threadNice is the nice value of thread tid, from /proc (field 19 of its stat).
func threadNice(t *testing.T, tid int) int {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/self/task/%d/stat", tid))
	if err != nil {
		t.Fatal(err)
	}
	// The command name, in parentheses, may hold spaces: count fields after it.
	fields := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
	n, err := strconv.Atoi(fields[16]) // stat's field 19; fields[0] is field 3
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestLowPriority: the work runs on a thread at nice 19, and that thread is not the
// caller's, whose priority is unchanged.
func TestLowPriority(t *testing.T) {
	var tid, nice int
	LowPriority(func() {
		tid = unix.Gettid()
		nice = threadNice(t, tid)
	})
	if nice != reloadNice {
		t.Errorf("the work ran at nice %d, want %d", nice, reloadNice)
	}
	if self := unix.Gettid(); tid == self || threadNice(t, self) == reloadNice {
		t.Errorf("the caller's thread %d (nice %d) ran the work or was lowered", self, threadNice(t, self))
	}
}

// TestQueueRunsAtLowPriority: the IPVS queue's jobs run on a thread at nice 19.
func TestQueueRunsAtLowPriority(t *testing.T) {
	q := newQueue()
	t.Cleanup(q.close)
	nice := -1
	q.wait(func() { nice = threadNice(t, unix.Gettid()) })
	if nice != reloadNice {
		t.Errorf("the queue's job ran at nice %d, want %d", nice, reloadNice)
	}
}

// TestLowPriorityLeavesAPSpare: with GOMAXPROCS 1, the low-priority thread would hold the
// only P; LowPriority raises it, so a goroutine of the advert path finds one free.
func TestLowPriorityLeavesAPSpare(t *testing.T) {
	prev := runtime.GOMAXPROCS(1)
	t.Cleanup(func() { runtime.GOMAXPROCS(prev) })
	LowPriority(func() {})
	if got := runtime.GOMAXPROCS(0); got < minProcs {
		t.Errorf("GOMAXPROCS %d after LowPriority, want at least %d", got, minProcs)
	}
}
