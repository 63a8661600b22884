//go:build vmtest

package lvs

// Real-kernel tests: they need root and a kernel with IPVS, which this project's build host
// lacks; `make vm-test` runs them in a VM booting Debian's cloud kernel. Each test works in
// a fresh network namespace (IPVS tables, timeouts and sync daemons are per namespace), so
// they neither see nor disturb anything else.

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
)

// kernelInNetns moves the test's goroutine (locked to its thread) into a new network
// namespace named h5-lvs-NAME and opens the kernel backend there. The test must not start
// goroutines or subtests that touch the kernel: they would run in another namespace.
func kernelInNetns(t *testing.T) (*Kernel, string) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root: run with make vm-test")
	}
	if _, err := os.Stat(procIPVS); err != nil {
		t.Skip("this kernel has no IPVS (/proc/net/ip_vs absent): run with make vm-test")
	}
	runtime.LockOSThread()
	orig, err := netns.Get()
	if err != nil {
		t.Fatal(err)
	}
	name := "h5-lvs-" + strings.ToLower(strings.TrimPrefix(t.Name(), "TestKernel"))
	ns, err := netns.NewNamed(name)
	if err != nil {
		t.Fatalf("new netns %s: %v", name, err)
	}
	t.Cleanup(func() {
		netns.Set(orig)
		ns.Close()
		netns.DeleteNamed(name)
		orig.Close()
		runtime.UnlockOSThread()
	})
	if lo, err := netlink.LinkByName("lo"); err == nil {
		netlink.LinkSetUp(lo)
	}
	k, err := NewKernel()
	if err != nil {
		t.Fatalf("NewKernel: %v", err)
	}
	t.Cleanup(func() { k.Close() })
	return k, name
}

func TestKernelContract(t *testing.T) {
	k, _ := kernelInNetns(t)
	checkBackendContract(t, k)
}

// referenceTable covers every forwarding method, both families, firewall marks, persistence
// with granularity, scheduler flags, one-packet scheduling and thresholds.
func referenceTable() []VirtualServer {
	web := tcp("10.10.10.22:80")
	return []VirtualServer{
		vs(svc(web, "wrr"), dst("10.10.10.31:80", DR, 3), dst("10.10.10.32:80", DR, 1)),
		vs(Service{Key: tcp("10.10.10.22:8080"), Scheduler: "wlc", Persistence: 50 * time.Second, Granularity: 24},
			dst("10.10.20.31:8080", NAT, 1), dst("10.10.20.32:80", NAT, 2)),
		vs(Service{Key: tcp("10.10.10.22:443"), Scheduler: "sh", SchedFlags: SHFallback | SHPort},
			Destination{Addr: netipAP("10.10.30.31:443"), Forward: TUN, Weight: 1, Upper: 100, Lower: 10}),
		vs(Service{Key: udp("10.10.10.22:53"), Scheduler: "rr", OnePacket: true}, dst("10.10.10.31:53", DR, 1)),
		vs(Service{Key: tcp("10.10.10.22:25"), Scheduler: "mh", SchedFlags: MHPort}, dst("10.10.10.31:25", DR, 1)),
		vs(svc(FWMarkKey(7, IPv4), "rr"), dst("10.10.10.31:0", DR, 1)),
		vs(svc(FWMarkKey(7, IPv6), "rr"), dst("[2001:db8::31]:0", DR, 1)),
		vs(Service{Key: tcp("[2001:db8::22]:80"), Scheduler: "wrr", Persistence: time.Hour, Granularity: 64},
			dst("[2001:db8::31]:80", DR, 5), dst("[2001:db8::32]:80", NAT, 1)),
	}
}

func TestKernelReconcile(t *testing.T) {
	k, name := kernelInNetns(t)
	ctx := context.Background()
	// A service programmed by someone else: it must survive untouched.
	foreign := vs(svc(tcp("192.0.2.1:25"), "rr"), dst("192.0.2.9:25", NAT, 1))
	seed(t, k, foreign)

	r := NewReconciler(k, Options{})
	table := referenceTable()
	if err := r.SetDesired(table); err != nil {
		t.Fatal(err)
	}
	rep, err := r.Reconcile(ctx)
	if err != nil {
		t.Fatalf("Reconcile: %v\n%s", err, rep)
	}
	wantOps := len(table)
	for _, v := range table {
		wantOps += len(v.Destinations)
	}
	if len(rep.Applied) != wantOps {
		t.Errorf("first reconcile applied %d ops, want %d:\n%s", len(rep.Applied), wantOps, rep)
	}

	// Read back through moby/ipvs: exactly the desired table plus the foreign service.
	if diff := cmp.Diff(sortedTable(append(slices.Clone(table), foreign)), sortedTable(mustServices(t, k)), equateNet); diff != "" {
		t.Errorf("kernel table (-want +got):\n%s", diff)
	}
	// ipvsadm, the reference reader, agrees with our notation for the DR service.
	if out, err := exec.Command("ip", "netns", "exec", name, "ipvsadm", "-S", "-n").CombinedOutput(); err == nil {
		t.Logf("ipvsadm -S -n:\n%s", out)
		// Every service line, and every destination line ipvsadm spells as we do (it adds
		// --tun-type to TUN and leaves thresholds out), appears verbatim.
		for _, v := range table {
			lines := []string{v.Service.String()}
			for _, d := range v.Destinations {
				if d.Forward != TUN && d.Upper == 0 && d.Lower == 0 {
					lines = append(lines, Op{Kind: AddDestination, Service: v.Service, Dest: d}.String())
				}
			}
			for _, line := range lines {
				if !strings.Contains(string(out), line+"\n") {
					t.Errorf("ipvsadm -S -n lacks %q", line)
				}
			}
		}
	} else {
		t.Logf("ipvsadm not usable here (%v); skipping the reference read", err)
	}

	// Unchanged: zero operations. A restarted halvs adopts the table with zero operations.
	if rep, err := r.Reconcile(ctx); err != nil || len(rep.Applied) != 0 {
		t.Errorf("second reconcile: %v\n%s", err, rep)
	}
	r2 := NewReconciler(k, Options{})
	r2.SetDesired(table)
	if rep, err := r2.Reconcile(ctx); err != nil || len(rep.Applied) != 0 {
		t.Errorf("reconcile after restart: %v\n%s", err, rep)
	}

	// One weight change is one operation, and the kernel has it.
	web := table[0].Service.Key
	rep, err = r2.SetWeight(ctx, web, netipAP("10.10.10.31:80"), 7)
	if err != nil || len(rep.Applied) != 1 {
		t.Fatalf("SetWeight: %v\n%s", err, rep)
	}
	for _, v := range mustServices(t, k) {
		if v.Service.Key == web && v.Destinations[slices.IndexFunc(v.Destinations, func(d Destination) bool { return d.Addr == netipAP("10.10.10.31:80") })].Weight != 7 {
			t.Errorf("kernel weight of 10.10.10.31:80 is not 7: %+v", v.Destinations)
		}
	}

	// A config change (scheduler, one destination) applies as a minimal diff.
	table[0].Service.Scheduler = "rr"
	table[0].Destinations = append(table[0].Destinations, dst("10.10.10.33:80", DR, 1))
	r2.SetDesired(table)
	rep, err = r2.Reconcile(ctx)
	want := []string{"-E -t 10.10.10.22:80 -s rr", "-a -t 10.10.10.22:80 -r 10.10.10.33:80 -g -w 1"}
	if diff := cmp.Diff(want, opStrings(rep.Applied)); err != nil || diff != "" {
		t.Errorf("config change: %v, ops (-want +got):\n%s", err, diff)
	}

	// Stopping removes the owned services only.
	if _, err := r2.Stop(ctx, false); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(sortedTable([]VirtualServer{foreign}), sortedTable(mustServices(t, k)), equateNet); diff != "" {
		t.Errorf("after stop (-want +got):\n%s", diff)
	}
}

func TestKernelTimeouts(t *testing.T) {
	k, _ := kernelInNetns(t)
	r := NewReconciler(k, Options{})
	want := Timeouts{TCP: 7200 * time.Second, TCPFin: 60 * time.Second, UDP: 120 * time.Second}
	if _, err := r.SetTimeouts(context.Background(), want); err != nil {
		t.Fatal(err)
	}
	got, err := k.Timeouts()
	if err != nil || got != want {
		t.Errorf("timeouts = %+v (%v), want %+v", got, err, want)
	}
	if rep, err := r.SetTimeouts(context.Background(), want); err != nil || len(rep.Applied) != 0 {
		t.Errorf("unchanged timeouts: %v\n%s", err, rep)
	}
	// A closed kernel answers ErrClosed rather than panicking on its released handle.
	k.Close()
	if _, err := k.Timeouts(); !errors.Is(err, ErrClosed) {
		t.Errorf("Timeouts after Close: %v, want ErrClosed", err)
	}
}

func TestKernelSyncDaemon(t *testing.T) {
	k, _ := kernelInNetns(t)
	ctx := context.Background()
	// A dummy link in our namespace carries the sync multicast.
	link := &netlink.Dummy{LinkAttrs: netlink.LinkAttrs{Name: "h5sync0"}}
	if err := netlink.LinkAdd(link); err != nil {
		t.Fatalf("add dummy link: %v", err)
	}
	if err := netlink.LinkSetUp(link); err != nil {
		t.Fatal(err)
	}
	addr, _ := netlink.ParseAddr("10.99.0.1/24")
	if err := netlink.AddrAdd(link, addr); err != nil {
		t.Fatal(err)
	}

	r := NewReconciler(k, Options{})
	t.Cleanup(func() { r.StopSyncDaemons(ctx) })
	backup := SyncDaemon{Role: SyncBackup, Interface: "h5sync0", SyncID: 51}
	master := SyncDaemon{Role: SyncMaster, Interface: "h5sync0", SyncID: 51}
	for _, step := range []struct {
		set  SyncDaemon
		want []SyncDaemon
	}{{backup, []SyncDaemon{backup}}, {master, []SyncDaemon{master}}, {backup, []SyncDaemon{backup}}} {
		if rep, err := r.SetSyncDaemon(ctx, step.set); err != nil {
			t.Fatalf("SetSyncDaemon(%+v): %v\n%s", step.set, err, rep)
		}
		got, err := k.SyncDaemons()
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(step.want, got); diff != "" {
			t.Errorf("after %s: running (-want +got):\n%s", step.set.Role, diff)
		}
	}
	if err := k.StartSyncDaemon(backup); !errors.Is(err, syscall.EEXIST) {
		t.Errorf("starting a running daemon: %v, want EEXIST", err)
	}
	// The Kernel is bound to the namespace it was opened in: asked from a thread in another
	// namespace (init's), it still reports this namespace's daemon.
	got := make(chan []SyncDaemon, 1)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread ends with the goroutine
		root, err := netns.GetFromPid(1)
		if err == nil {
			err = netns.Set(root)
			root.Close()
		}
		if err != nil {
			t.Errorf("enter init's namespace: %v", err)
			got <- nil
			return
		}
		d, err := k.SyncDaemons()
		if err != nil {
			t.Errorf("SyncDaemons from init's namespace: %v", err)
		}
		got <- d
	}()
	if diff := cmp.Diff([]SyncDaemon{backup}, <-got); diff != "" {
		t.Errorf("SyncDaemons from another namespace (-want +got):\n%s", diff)
	}
	if _, err := r.StopSyncDaemons(ctx); err != nil {
		t.Fatal(err)
	}
	if got, err := k.SyncDaemons(); err != nil || len(got) != 0 {
		t.Errorf("after stop: %+v, %v", got, err)
	}
	// A daemon stopped before its kernel thread first ran: the kernel then sends no answer at
	// all (kthread_stop's -EINTR makes netlink skip the acknowledgement); the stop must still
	// succeed at once rather than wait for an answer that never comes.
	for range 3 {
		for _, d := range []SyncDaemon{master, backup} {
			if err := k.StartSyncDaemon(d); err != nil {
				t.Fatalf("start %s: %v", d.Role, err)
			}
			if err := k.StopSyncDaemon(d.Role); err != nil {
				t.Errorf("stop %s right after its start: %v", d.Role, err)
			}
		}
	}
	if got, err := k.SyncDaemons(); err != nil || len(got) != 0 {
		t.Errorf("after the start-stop pairs: %+v, %v", got, err)
	}
}

// TestKernelHalvsIPVSCommand runs the built `halvs ipvs` (make build puts it in ../bin; the VM
// image has it there too) against the kernel, in this test's namespace: the seed example is
// programmed as keepalived programs it, and a second run issues no operation.
func TestKernelHalvsIPVSCommand(t *testing.T) {
	_, name := kernelInNetns(t)
	bin, err := filepath.Abs("../bin/halvs")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(bin); err != nil {
		t.Skipf("no halvs binary at %s (run make build)", bin)
	}
	cfg, _ := filepath.Abs("../examples/seed/director-a.hcl")
	halvs := func() (string, string) {
		t.Helper()
		cmd := exec.Command("ip", "netns", "exec", name, bin, "ipvs", "-c", cfg)
		var stdout, stderr strings.Builder
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		if err := cmd.Run(); err != nil {
			t.Fatalf("halvs ipvs: %v\n%s", err, stderr.String())
		}
		return stdout.String(), stderr.String()
	}
	want := "-A -t 10.10.10.22:80 -s wrr\n" +
		"-a -t 10.10.10.22:80 -r 10.10.10.31:80 -g -w 3\n" +
		"-a -t 10.10.10.22:80 -r 10.10.10.32:80 -g -w 3\n"
	if out, errOut := halvs(); out != want {
		t.Errorf("first run printed %q (stderr %q), want %q", out, errOut, want)
	}
	if out, errOut := halvs(); out != "" {
		t.Errorf("second run printed %q (stderr %q), want no operation", out, errOut)
	}
	if out, err := exec.Command("ip", "netns", "exec", name, "ipvsadm", "-S", "-n").CombinedOutput(); err == nil && string(out) != want {
		t.Errorf("ipvsadm -S -n:\n%s\nwant:\n%s", out, want)
	}
}
