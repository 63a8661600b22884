package director

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/halvs/halvs/lvs"
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
	atLeastTwoPs(t)
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

// TestLowPriorityOneP: with one P the work keeps the usual priority; a thread at nice 19
// holding the only P would keep every other goroutine waiting for it.
func TestLowPriorityOneP(t *testing.T) {
	prev := runtime.GOMAXPROCS(1)
	t.Cleanup(func() { runtime.GOMAXPROCS(prev) })
	nice := -1
	LowPriority(func() { nice = threadNice(t, unix.Gettid()) })
	if nice != 0 {
		t.Errorf("the work ran at nice %d with one P, want 0", nice)
	}
}

// TestReloadIPVSWorkAtLowPriority: a reload's IPVS operations run on a thread at nice 19.
func TestReloadIPVSWorkAtLowPriority(t *testing.T) {
	atLeastTwoPs(t)
	k := newKernel()
	var mu sync.Mutex
	nices := map[lvs.OpKind][]int{}
	k.ipvs.Fail = func(o lvs.Op) error {
		mu.Lock()
		defer mu.Unlock()
		nices[o.Kind] = append(nices[o.Kind], threadNice(t, unix.Gettid()))
		return nil
	}
	d, err := New(parse(t, owner("VI_1", 51, "10.0.0.1/32", "")+lvsConfig), k.options(t))
	if err != nil {
		t.Fatal(err)
	}
	running(t, d)
	eventually(t, "table programmed", func() bool { return len(table(t, k.ipvs)) == 1 })
	next := strings.Replace(lvsConfig, "weight = 3", "weight = 5", 1)
	if err := d.Reload(parse(t, owner("VI_1", 51, "10.0.0.1/32", "")+next)); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the new weight", func() bool { return table(t, k.ipvs)["-t 10.0.0.1:80 10.0.1.1:80"] == 5 })
	mu.Lock()
	defer mu.Unlock()
	// The start's operations and the reload's: each kind at least once, each at nice 19.
	for _, kind := range []lvs.OpKind{lvs.AddService, lvs.AddDestination, lvs.UpdateDestination} {
		if len(nices[kind]) == 0 {
			t.Errorf("no %v operation", kind)
		}
		for _, n := range nices[kind] {
			if n != reloadNice {
				t.Errorf("%v operations ran at nice %v, want %d", kind, nices[kind], reloadNice)
				break
			}
		}
	}
}

// atLeastTwoPs gives the test two Ps, as a machine of two CPUs has, for the length of it.
func atLeastTwoPs(t *testing.T) {
	t.Helper()
	if runtime.NumCPU() < 2 {
		t.Skip("one CPU: the work keeps the usual priority (lowerThreadPriority)")
	}
	if prev := runtime.GOMAXPROCS(0); prev < 2 {
		runtime.GOMAXPROCS(2)
		t.Cleanup(func() { runtime.GOMAXPROCS(prev) })
	}
}
