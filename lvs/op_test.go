package lvs

import (
	"net/netip"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// AppendText appends exactly String's text after what the buffer holds, for every kind.
func TestOpAppendText(t *testing.T) {
	web := tcp("10.10.10.22:80")
	mark6 := FWMarkKey(7, IPv6)
	rs := Destination{Addr: netip.MustParseAddrPort("[2001:db8::31]:8080"), Forward: TUN, Weight: 0, Upper: 9, Lower: 2}
	for _, tc := range []struct {
		op   Op
		want string
	}{
		{Op{Kind: AddService, Service: Service{Key: web, Scheduler: "wlc", Persistence: 60 * time.Second, Granularity: 24}}, "-A -t 10.10.10.22:80 -s wlc -p 60 -M 255.255.255.0"},
		{Op{Kind: UpdateService, Service: Service{Key: mark6, Scheduler: "mh", SchedFlags: MHFallback, Persistence: time.Second, Granularity: 64}}, "-E -f 7 -6 -s mh -b mh-fallback -p 1 -M 64"},
		{Op{Kind: DeleteService, Service: Service{Key: FWMarkKey(1, IPv4)}}, "-D -f 1"},
		{Op{Kind: AddDestination, Service: Service{Key: mark6}, Dest: rs}, "-a -f 7 -6 -r [2001:db8::31]:8080 -i -w 0 -x 9 -y 2"},
		{Op{Kind: UpdateDestination, Service: Service{Key: udp("10.10.10.22:53")}, Dest: dst("10.10.10.31:53", NAT, 3)}, "-e -u 10.10.10.22:53 -r 10.10.10.31:53 -m -w 3"},
		{Op{Kind: DeleteDestination, Service: Service{Key: web}, Dest: dst("10.10.10.31:80", DR, 1)}, "-d -t 10.10.10.22:80 -r 10.10.10.31:80"},
		{Op{Kind: SetTimeouts, Timeouts: Timeouts{TCP: 900 * time.Second, TCPFin: 120 * time.Second, UDP: 300 * time.Second}}, "--set 900 120 300"},
		{Op{Kind: StartSyncDaemon, Daemon: SyncDaemon{Role: SyncMaster, Interface: "eth0", SyncID: 5}}, "--start-daemon master --mcast-interface eth0 --syncid 5"},
		{Op{Kind: StopSyncDaemon, Daemon: SyncDaemon{Role: SyncBackup}}, "--stop-daemon backup"},
	} {
		got, err := tc.op.AppendText([]byte("> "))
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff("> "+tc.want, string(got)); diff != "" {
			t.Errorf("AppendText (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff(tc.want, tc.op.String()); diff != "" {
			t.Errorf("String (-want +got):\n%s", diff)
		}
	}
}
