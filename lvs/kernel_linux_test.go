package lvs

import (
	"errors"
	"os"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/vishvananda/netlink/nl"
)

// TestMobyRoundTrip checks the translation to and from moby/ipvs's structs, which is what
// the kernel stores and reports back (the VM tests check the kernel itself).
func TestMobyRoundTrip(t *testing.T) {
	services := []Service{
		svc(web, "wrr"),
		{Key: web, Scheduler: "sh", SchedFlags: SHFallback | SHPort, Persistence: 50 * time.Second, Granularity: 24},
		{Key: udp("10.10.10.22:53"), Scheduler: "rr", OnePacket: true},
		{Key: tcp("[2001:db8::22]:443"), Scheduler: "mh", SchedFlags: MHPort, Persistence: time.Hour, Granularity: 64},
		{Key: FWMarkKey(7, IPv4), Scheduler: "rr", SchedFlags: SchedFlag3},
		{Key: FWMarkKey(7, IPv6), Scheduler: "rr"},
	}
	for _, s := range services {
		ms := toMobyService(s)
		got, err := fromMobyService(ms)
		if err != nil {
			t.Fatalf("%s: %v", s, err)
		}
		if diff := cmp.Diff(s, got, equateNet); diff != "" {
			t.Errorf("%s (-want +got):\n%s", s, diff)
		}
	}
	// The kernel also reports its HASHED flag; it is not part of the model.
	ms := toMobyService(svc(web, "rr"))
	ms.Flags |= svcHashed
	if got, _ := fromMobyService(ms); got != svc(web, "rr") {
		t.Errorf("hashed flag leaked into %+v", got)
	}
	for _, d := range []Destination{rs1, {Addr: rs2.Addr, Forward: TUN, Weight: 0, Upper: 10, Lower: 2}, dst("[2001:db8::31]:443", NAT, 65535)} {
		got, err := fromMobyDest(toMobyDest(d))
		if err != nil || got != d {
			t.Errorf("destination %+v came back as %+v (%v)", d, got, err)
		}
	}
}

func TestKernelNetmask(t *testing.T) {
	// IPVS_SVC_ATTR_NETMASK carries an IPv4 mask in network byte order; moby/ipvs writes
	// the field in host order, so the bytes on the wire must read 255.255.255.0.
	var wire [4]byte
	nl.NativeEndian().PutUint32(wire[:], kernelNetmask(IPv4, 24))
	if wire != [4]byte{255, 255, 255, 0} {
		t.Errorf("wire bytes %v, want 255.255.255.0", wire)
	}
	if got := kernelNetmask(IPv4, 0); got != 0xffffffff {
		t.Errorf("default IPv4 netmask %#x, want all ones (what ipvsadm sends)", got)
	}
	if got := kernelNetmask(IPv6, 0); got != 128 {
		t.Errorf("default IPv6 netmask %d, want 128", got)
	}
	for bits := 0; bits <= 32; bits++ {
		if got := granularityOf(IPv4, kernelNetmask(IPv4, bits)); got != bits && !(bits == 0 && got == 32) {
			t.Errorf("/%d came back as /%d", bits, got)
		}
	}
}

func TestParseDaemon(t *testing.T) {
	attr := nl.NewRtAttr(ipvsCmdAttrDaemon, nil)
	attr.AddRtAttr(ipvsDaemonAttrState, nl.Uint32Attr(uint32(SyncBackup)))
	attr.AddRtAttr(ipvsDaemonAttrMcastIfn, nl.ZeroTerminated("eth1"))
	attr.AddRtAttr(ipvsDaemonAttrSyncID, nl.Uint32Attr(51))
	msg := append((&nl.Genlmsg{Command: ipvsCmdGetDaemon, Version: 1}).Serialize(), attr.Serialize()...)
	got, err := parseDaemon(msg)
	if err != nil {
		t.Fatal(err)
	}
	if want := (SyncDaemon{Role: SyncBackup, Interface: "eth1", SyncID: 51}); got != want {
		t.Errorf("got %+v, want %+v", got, want)
	}
	if _, err := parseDaemon(msg[:2]); err == nil {
		t.Error("a truncated message parsed")
	}
}

// TestAvailableWithoutIPVS runs on kernels without IPVS (this project's build host) and
// checks the one-line message halvs prints.
func TestAvailableWithoutIPVS(t *testing.T) {
	if _, err := os.Stat(procIPVS); err == nil {
		t.Skip("this kernel has IPVS loaded; the VM tests cover that case")
	}
	err := Available()
	if !errors.Is(err, ErrNoIPVS) {
		t.Fatalf("Available() = %v, want ErrNoIPVS", err)
	}
	if got, want := err.Error(), "IPVS is not available in this kernel: load it with 'modprobe ip_vs'"; got != want {
		t.Errorf("message %q, want %q", got, want)
	}
	if _, err := NewKernel(); !errors.Is(err, ErrNoIPVS) {
		t.Errorf("NewKernel() = %v, want ErrNoIPVS", err)
	}
}

// TestKernelClosed calls every method of a Kernel whose handle is gone (what Close leaves;
// NewKernel needs IPVS, which this host lacks, and the VM test closes a real one): each must
// return ErrClosed, none may panic.
func TestKernelClosed(t *testing.T) {
	k := &Kernel{}
	if err := k.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	d := Destination{Addr: rs1.Addr, Forward: DR, Weight: 1}
	calls := map[string]func() error{
		"Services":          func() error { _, err := k.Services(); return err },
		"AddService":        func() error { return k.AddService(svc(web, "rr")) },
		"UpdateService":     func() error { return k.UpdateService(svc(web, "rr")) },
		"DeleteService":     func() error { return k.DeleteService(web) },
		"AddDestination":    func() error { return k.AddDestination(web, d) },
		"UpdateDestination": func() error { return k.UpdateDestination(web, d) },
		"DeleteDestination": func() error { return k.DeleteDestination(web, d.Addr) },
		"Timeouts":          func() error { _, err := k.Timeouts(); return err },
		"SetTimeouts":       func() error { return k.SetTimeouts(Timeouts{TCP: time.Minute}) },
		"StartSyncDaemon":   func() error { return k.StartSyncDaemon(SyncDaemon{Role: SyncMaster, Interface: "eth0", SyncID: 1}) },
		"StopSyncDaemon":    func() error { return k.StopSyncDaemon(SyncMaster) },
		"SyncDaemons":       func() error { _, err := k.SyncDaemons(); return err },
		"Stats":             func() error { _, err := k.Stats(); return err },
		"applyBatch":        func() error { return k.applyBatch([]Op{{Kind: AddService, Service: svc(web, "rr")}})[0] },
	}
	for name, call := range calls {
		if err := call(); !errors.Is(err, ErrClosed) {
			t.Errorf("%s after Close = %v, want ErrClosed", name, err)
		}
	}
}
