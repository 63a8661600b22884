//go:build integration

package integration

import (
	"fmt"
	"github.com/halvs/halvs/internal/testutil"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// statusWait polls d's status until cond holds for its instance name, or fails after timeout.
func statusWait(t *testing.T, d *Director, name, what string, timeout time.Duration, cond func(state string, prio int) bool) {
	t.Helper()
	var last string
	for deadline := time.Now().Add(timeout); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		st, err := d.Status()
		if err != nil {
			last = err.Error()
			continue
		}
		for _, in := range st.Instances {
			if in.Name == name {
				last = fmt.Sprintf("%s priority %d faults %v", in.State, in.EffectivePriority, in.Faults)
				if cond(in.State, in.EffectivePriority) {
					return
				}
			}
		}
	}
	t.Fatalf("%s on %s: %s not seen within %v; last %s", name, d.Node.Name, what, timeout, last)
}

// TestTrackProcess: A (150) tracks a process with weight -100, so while it is not running A
// advertises 50 and B (100) is MASTER; starting the process raises A to 150 and A preempts;
// killing it hands the VIP back to B. halvs runs in a network namespace, where the kernel's
// process events are not delivered, so it says so and scans /proc every second.
func TestTrackProcess(t *testing.T) {
	p := newPair(t, VIP4, Halvs)
	path, name := testutil.SleepCopy(t, "hvit")
	a := fast(150)
	a.HCLTop = fmt.Sprintf("vrrp_track_process \"sleeper\" {\n  process = %q\n  weight = -100\n}\n", name)
	a.HCLInstance = "  track_process = [\"sleeper\"]\n"
	mark := p.obs.Mark()
	da := p.start(Halvs, p.lab.A, a)
	p.start(Halvs, p.lab.B, fast(100))
	statusWait(t, da, "VI_1", "priority 50", 5*time.Second, func(_ string, prio int) bool { return prio == 50 })
	p.expectMaster(mark, p.lab.B, 5*time.Second, 500*time.Millisecond)
	if !strings.Contains(da.Output(), "scanning /proc") {
		t.Errorf("halvs did not log its fallback to scanning /proc:\n%s", da.Output())
	}

	mark = p.obs.Mark()
	cmd := exec.Command(path, "600")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	statusWait(t, da, "VI_1", "priority 150 with the process running", 5*time.Second, func(_ string, prio int) bool { return prio == 150 })
	p.expectMaster(mark, p.lab.A, 5*time.Second, 500*time.Millisecond)

	mark = p.obs.Mark()
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	statusWait(t, da, "VI_1", "priority 50 after the kill", 5*time.Second, func(_ string, prio int) bool { return prio == 50 })
	p.expectMaster(mark, p.lab.B, 5*time.Second, 500*time.Millisecond)
}

// TestTrackFileDrain is keepalived's way to drain a director: A (150) tracks a file with
// weight -1, created holding 0 (init_file). Writing 100 into it lowers A to 50 and B (100)
// takes over; writing 0 gives A its priority and the VIP back; deleting the file reads 0.
func TestTrackFileDrain(t *testing.T) {
	p := newPair(t, VIP4, Halvs)
	file := filepath.Join(t.TempDir(), "drain")
	a := fast(150)
	a.HCLTop = fmt.Sprintf("track_file \"drain\" {\n  file = %q\n  weight = -1\n  init_file = 0\n}\n", file)
	a.HCLInstance = "  track_file = [\"drain\"]\n"
	mark := p.obs.Mark()
	da := p.start(Halvs, p.lab.A, a)
	p.start(Halvs, p.lab.B, fast(100))
	p.expectMaster(mark, p.lab.A, 5*time.Second, 500*time.Millisecond)
	if got, err := os.ReadFile(file); err != nil || string(got) != "0\n" {
		t.Fatalf("init_file: the file holds %q (%v), want \"0\\n\"", got, err)
	}

	mark = p.obs.Mark()
	if err := os.WriteFile(file, []byte("100\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	statusWait(t, da, "VI_1", "priority 50", 2*time.Second, func(_ string, prio int) bool { return prio == 50 })
	p.expectMaster(mark, p.lab.B, 5*time.Second, 500*time.Millisecond)

	mark = p.obs.Mark()
	if err := os.WriteFile(file, []byte("0\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	p.expectMaster(mark, p.lab.A, 5*time.Second, 500*time.Millisecond)

	if err := os.WriteFile(file, []byte("30\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	statusWait(t, da, "VI_1", "priority 120", 2*time.Second, func(_ string, prio int) bool { return prio == 120 })
	if err := os.Remove(file); err != nil {
		t.Fatal(err)
	}
	statusWait(t, da, "VI_1", "priority 150 with the file gone", 2*time.Second, func(_ string, prio int) bool { return prio == 150 })
}

// TestSyncGroupTrackScript: a vrrp_sync_group tracks a vrrp_script (weight 0). When it fails,
// both members on A go to FAULT and B takes the VIP; when it succeeds again A is MASTER.
func TestSyncGroupTrackScript(t *testing.T) {
	p := newPair(t, VIP4, Halvs)
	mark := filepath.Join(t.TempDir(), "fail")
	a := fast(150)
	a.HCLTop = fmt.Sprintf(`vrrp_script "chk" {
  script = "/usr/bin/test ! -e %s"
  interval = "200ms"
}
vrrp_instance "VI_2" {
  interface = %q
  virtual_router_id = 52
  priority = 150
  advert_int = "200ms"
  version = 3
  virtual_ipaddress = ["10.10.10.23"]
}
vrrp_sync_group "G" {
  group = ["VI_1", "VI_2"]
  track_script = ["chk"]
}
`, mark, p.lab.A.If)
	obsMark := p.obs.Mark()
	da := p.start(Halvs, p.lab.A, a)
	p.start(Halvs, p.lab.B, fast(100))
	p.expectMaster(obsMark, p.lab.A, 5*time.Second, 500*time.Millisecond)

	obsMark = p.obs.Mark()
	if err := os.WriteFile(mark, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"VI_1", "VI_2"} {
		statusWait(t, da, name, "FAULT", 3*time.Second, func(state string, _ int) bool { return state == "FAULT" })
	}
	p.expectMaster(obsMark, p.lab.B, 5*time.Second, 500*time.Millisecond)

	obsMark = p.obs.Mark()
	if err := os.Remove(mark); err != nil {
		t.Fatal(err)
	}
	p.expectMaster(obsMark, p.lab.A, 5*time.Second, 500*time.Millisecond)
	statusWait(t, da, "VI_2", "MASTER", 3*time.Second, func(state string, _ int) bool { return state == "MASTER" })
}
