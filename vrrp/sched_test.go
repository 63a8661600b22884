package vrrp

import (
	"errors"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/sys/unix"

	"github.com/halvs/halvs/vrrp/vrrptest"
)

type threadSchedState struct{ Policy, RTPriority, Nice int }

// loopThreadSched reads the scheduling of the thread that runs inst's loop, from inside it.
func loopThreadSched(t *testing.T, inst *Instance) threadSchedState {
	t.Helper()
	got := make(chan threadSchedState, 1)
	inst.box.put(input{at: time.Now(), fn: func() {
		p, prio, nice, err := threadSched()
		if err != nil {
			t.Error(err)
		}
		got <- threadSchedState{p, prio, nice}
	}})
	select {
	case s := <-got:
		return s
	case <-time.After(10 * time.Second):
		t.Fatal("the loop did not run the probe")
	}
	return threadSchedState{}
}

// runOwner starts an address owner advertising every 20 ms on a fake segment, with sched
// and the real clock.
func runOwner(t *testing.T, sched AdvertSched) *Instance {
	t.Helper()
	seg := &vrrptest.Segment{}
	r, err := NewRouter(Deps{Addresser: &vrrptest.Addresser{}, Announcer: &vrrptest.Announcer{}, Logger: testLogger(t),
		OpenTransport: func(TransportKey) (Transport, error) { return seg.Port(hostA), nil },
		AdvertSched:   sched})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.Shutdown)
	cfg := vi1(255)
	cfg.Interval, cfg.Notify = 20*time.Millisecond, NotifyConfig{}
	if err := r.Apply([]InstanceConfig{cfg}, nil); err != nil {
		t.Fatal(err)
	}
	return r.Instance("VI_1")
}

// TestAdvertSchedRT: with vrrp_rt_priority the instance's loop runs SCHED_RR at that
// priority on a thread of its own, keeps sending adverts from its own timer there, and no
// other thread is changed.
func TestAdvertSchedRT(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("SCHED_RR needs root")
	}
	inst := runOwner(t, AdvertSched{RTPriority: 10})
	if diff := cmp.Diff(threadSchedState{unix.SCHED_RR, 10, 0}, loopThreadSched(t, inst)); diff != "" {
		t.Errorf("loop thread (-want +got):\n%s", diff)
	}
	if p, _, _, _ := threadSched(); p != schedOther {
		t.Errorf("the test's own thread has policy %d, want SCHED_OTHER: the scheduling leaked", p)
	}
	before := inst.Counters().AdvertsSent
	time.Sleep(500 * time.Millisecond)
	// About 25 at 20 ms; the bounds only say the timer runs, and not in a tight loop.
	if n := inst.Counters().AdvertsSent - before; n < 5 || n > 60 {
		t.Errorf("%d adverts in 500ms at advert_int 20ms", n)
	}
}

// TestAdvertSchedNice: vrrp_priority alone sets the loop thread's nice value (raising it
// needs no privilege).
func TestAdvertSchedNice(t *testing.T) {
	inst := runOwner(t, AdvertSched{Nice: 7, SetNice: true})
	if diff := cmp.Diff(threadSchedState{schedOther, 0, 7}, loopThreadSched(t, inst)); diff != "" {
		t.Errorf("loop thread (-want +got):\n%s", diff)
	}
}

func TestAdvertSchedValidate(t *testing.T) {
	for _, s := range []AdvertSched{{RTPriority: 100}, {RTPriority: -1}, {Nice: 20, SetNice: true}, {Nice: -21, SetNice: true}} {
		if err := s.Check(); err == nil {
			t.Errorf("%+v: Check = nil, want a range error", s)
		}
	}
	if err := (AdvertSched{}).Check(); err != nil {
		t.Errorf("zero value: %v", err)
	}
}

// TestAdvertSchedRefused: a process without CAP_SYS_NICE (nobody, RLIMIT_RTPRIO 0) gets
// ErrSchedNotPermitted, and NewRouter refuses to start.
func TestAdvertSchedRefused(t *testing.T) {
	if os.Getenv("HALVS_SCHED_CHILD") == "1" {
		_, err := NewRouter(Deps{Addresser: &vrrptest.Addresser{}, Announcer: &vrrptest.Announcer{},
			OpenTransport: func(TransportKey) (Transport, error) { return nil, nil }, AdvertSched: AdvertSched{RTPriority: 50}})
		if !errors.Is(err, ErrSchedNotPermitted) {
			t.Fatalf("NewRouter = %v, want ErrSchedNotPermitted", err)
		}
		os.Stdout.WriteString("REFUSED: " + err.Error() + "\n")
		return
	}
	if os.Geteuid() != 0 {
		t.Skip("needs root to run the child as nobody")
	}
	// The test binary's own directory is root's alone: nobody runs a copy.
	dir, err := os.MkdirTemp("", "halvs-sched-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	bin, err := os.ReadFile(os.Args[0])
	if err == nil {
		err = os.WriteFile(dir+"/vrrp.test", bin, 0o755)
	}
	if err == nil {
		err = os.Chmod(dir, 0o755)
	}
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(dir+"/vrrp.test", "-test.run=^TestAdvertSchedRefused$", "-test.v")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "HALVS_SCHED_CHILD=1")
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "REFUSED: vrrp: scheduling change not permitted: SCHED_RR priority 50") {
		t.Errorf("child output lacks the refusal:\n%s", out)
	}
}

const schedOther = 0 // SCHED_OTHER (SCHED_NORMAL)

// TestAdvertThreadSignalAfterClose: inputs that arrive after the loop ended (a late advert,
// a tracker) must not write to the closed eventfd's number, which another file may hold.
func TestAdvertThreadSignalAfterClose(t *testing.T) {
	at, err := newAdvertThread(AdvertSched{Nice: 1, SetNice: true})
	if err != nil {
		t.Fatal(err)
	}
	efd := at.efd
	at.close()
	// The lowest free numbers: the pipe's ends take the timerfd's and the eventfd's.
	var p [2]int
	if err := unix.Pipe2(p[:], unix.O_NONBLOCK|unix.O_CLOEXEC); err != nil {
		t.Fatal(err)
	}
	defer unix.Close(p[0])
	defer unix.Close(p[1])
	if p[0] != efd && p[1] != efd {
		t.Skipf("the pipe got %v, not the eventfd's number %d", p, efd)
	}
	at.signal()
	if n, _ := unix.Read(p[0], make([]byte, 8)); n > 0 {
		t.Errorf("signal after close wrote %d bytes into the pipe that took the eventfd's number", n)
	}
}
