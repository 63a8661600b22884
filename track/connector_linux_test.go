package track

import (
	"errors"
	"fmt"
	"github.com/halvs/halvs/internal/testutil"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/halvs/halvs/internal/netnstest"
)

// startProcess starts path and kills it, by PID, when the test ends.
func startProcess(t *testing.T, path string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(path, "600")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	return cmd
}

// TestConnectorFollowsAProcess runs against the kernel's process events connector, which
// exists in the initial network namespace only: the test opens a socket there and adds
// nothing to it. It starts a uniquely named copy of /bin/sleep and kills it; the tracker
// must follow both within a generous bound, with no /proc scan after the first.
func TestConnectorFollowsAProcess(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("the process events connector needs CAP_NET_ADMIN")
	}
	src, err := OpenConnector(time.Second)
	if err != nil {
		t.Skipf("no process events here: %v", err)
	}
	path, name := testutil.SleepCopy(t, "hvtrk")
	log := &quorumLog{}
	scans := &countingProcs{Procs: ProcFS{}}
	m := NewMonitor(MonitorConfig{Specs: []ProcessSpec{{Name: "sleeper", Process: name, Quorum: 1, QuorumMax: 1 << 30}},
		Events: src, Procs: scans, Report: log.report})
	if err := m.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(m.Stop)
	waitReports(t, log, []string{"sleeper down"})

	cmd := startProcess(t, path)
	waitReports(t, log, []string{"sleeper up"})
	if st := m.State()["sleeper"]; st.Running != 1 {
		t.Errorf("running %d, want 1", st.Running)
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	waitReports(t, log, []string{"sleeper down"})
	if scans.scans != 1 {
		t.Errorf("%d scans of /proc, want 1 (at start): events should carry the rest", scans.scans)
	}
}

type countingProcs struct {
	Procs
	scans int
}

func (c *countingProcs) Scan() (map[int]Proc, error) {
	c.scans++
	return c.Procs.Scan()
}

// TestConnectorUnavailableInANetworkNamespace: outside the initial network namespace the
// connector cannot be opened, and the error says so (the director then scans /proc).
func TestConnectorUnavailableInANetworkNamespace(t *testing.T) {
	lab := netnstest.New(t, "hvtrk")
	ns := lab.NewNS("a")
	ns.MustDo(func() error {
		c, err := OpenConnector(time.Second)
		if err == nil {
			c.Close()
			return errors.New("the connector opened inside a network namespace")
		}
		if !errors.Is(err, ErrNoProcEvents) {
			return fmt.Errorf("error %v does not wrap ErrNoProcEvents", err)
		}
		return nil
	})
}

func TestProcFSReadsOurselves(t *testing.T) {
	path, name := testutil.SleepCopy(t, "hvtrk")
	cmd := startProcess(t, path)
	var p Proc
	var err error
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		// Until exec completes, the name may be new while the command line is still empty.
		if p, err = (ProcFS{}).Read(cmd.Process.Pid); err == nil && p.Comm == name && len(p.Cmdline) == 2 {
			break
		}
	}
	if err != nil || p.Comm != name || len(p.Cmdline) != 2 || p.Cmdline[0] != path || p.Cmdline[1] != "600" {
		t.Errorf("Read = %+v, %v; want comm %q, cmdline [%s 600]", p, err, name, path)
	}
	all, err := (ProcFS{}).Scan()
	if err != nil {
		t.Fatal(err)
	}
	if all[cmd.Process.Pid].Comm != name {
		t.Errorf("Scan has %+v for our process", all[cmd.Process.Pid])
	}
}
