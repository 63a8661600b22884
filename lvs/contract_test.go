package lvs

import (
	"errors"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// checkBackendContract runs the same requests against a Backend with an empty table and
// checks the answers. It runs against Memory here and against the real kernel in the VM
// (ipvs_vmtest_test.go), which is what keeps the fake honest.
func checkBackendContract(t *testing.T, b Backend) {
	t.Helper()
	k := tcp("10.10.10.22:80")
	must := func(what string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	wantErr := func(what string, err, want error) {
		t.Helper()
		if !errors.Is(err, want) {
			t.Errorf("%s: err = %v, want %v", what, err, want)
		}
	}

	must("add service", b.AddService(svc(k, "wrr")))
	wantErr("add service twice", b.AddService(svc(k, "wrr")), syscall.EEXIST)
	wantErr("update missing service", b.UpdateService(svc(tcp("10.10.10.23:80"), "rr")), syscall.ESRCH)
	wantErr("delete missing service", b.DeleteService(tcp("10.10.10.23:80")), syscall.ESRCH)
	wantErr("add destination to missing service", b.AddDestination(tcp("10.10.10.23:80"), rs1), syscall.ESRCH)

	must("add destination", b.AddDestination(k, rs1))
	wantErr("add destination twice", b.AddDestination(k, rs1), syscall.EEXIST)
	wantErr("update missing destination", b.UpdateDestination(k, rs2), syscall.ENOENT)
	wantErr("delete missing destination", b.DeleteDestination(k, rs2.Addr), syscall.ENOENT)

	changed := Service{Key: k, Scheduler: "sh", SchedFlags: SHPort, Persistence: 30 * time.Second, Granularity: 24}
	must("update service", b.UpdateService(changed))
	must("update destination", b.UpdateDestination(k, Destination{Addr: rs1.Addr, Forward: TUN, Weight: 9, Upper: 50, Lower: 5}))
	got, err := b.Services()
	must("list", err)
	want := []VirtualServer{{Service: changed, Destinations: []Destination{{Addr: rs1.Addr, Forward: TUN, Weight: 9, Upper: 50, Lower: 5}}}}
	if diff := cmp.Diff(want, got, equateNet); diff != "" {
		t.Errorf("table (-want +got):\n%s", diff)
	}
	one, err := b.Service(k)
	must("read one service", err)
	if diff := cmp.Diff(want[0], one, equateNet); diff != "" {
		t.Errorf("one service (-want +got):\n%s", diff)
	}
	_, err = b.Service(tcp("10.10.10.23:80"))
	wantErr("read missing service", err, syscall.ESRCH)
	must("delete destination", b.DeleteDestination(k, rs1.Addr))
	must("delete service", b.DeleteService(k))
	if got, _ := b.Services(); len(got) != 0 {
		t.Errorf("table not empty after deletes: %v", got)
	}

	wantErr("stop a daemon that is not running", b.StopSyncDaemon(SyncMaster), syscall.ESRCH)
}

func TestMemoryContract(t *testing.T) { checkBackendContract(t, NewMemory()) }
