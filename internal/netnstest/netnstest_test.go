package netnstest

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"os/exec"
	"strings"
	"testing"
	"time"
)

func TestLabTwoNamespacesOnBridge(t *testing.T) {
	var names []string
	t.Run("lab", func(t *testing.T) {
		lab := New(t, "hk")
		br := lab.NewBridge()
		a, b := lab.NewNS("a"), lab.NewNS("b")
		names = []string{br.NS.Name, a.Name, b.Name}
		for _, n := range names {
			if !strings.HasPrefix(n, "hk-") {
				t.Errorf("namespace %q lacks the prefix", n)
			}
		}
		pa := br.Attach(a, "hk0", net.HardwareAddr{2, 0, 0, 0, 0, 1}, netip.MustParsePrefix("10.9.0.1/24"))
		pb := br.Attach(b, "hk0", nil, netip.MustParsePrefix("10.9.0.2/24"))
		if got, want := pa.MAC.String(), "02:00:00:00:00:01"; got != want {
			t.Errorf("MAC = %s, want %s", got, want)
		}
		if pb.Index == 0 || pb.Bridge == pa.Bridge {
			t.Errorf("ports: %+v %+v", pa, pb)
		}

		// UDP from A to B proves both ends, the bridge and Do work together.
		var conn *net.UDPConn
		b.MustDo(func() error {
			var err error
			conn, err = net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(10, 9, 0, 2), Port: 9999})
			return err
		})
		defer conn.Close()
		a.MustDo(func() error {
			c, err := net.Dial("udp4", "10.9.0.2:9999")
			if err != nil {
				return err
			}
			defer c.Close()
			_, err = c.Write([]byte("hello"))
			return err
		})
		conn.SetReadDeadline(time.Now().Add(5 * time.Second))
		buf := make([]byte, 16)
		n, from, err := conn.ReadFromUDP(buf)
		if err != nil {
			t.Fatalf("B did not receive A's datagram: %v", err)
		}
		if string(buf[:n]) != "hello" || !from.IP.Equal(net.IPv4(10, 9, 0, 1)) {
			t.Errorf("got %q from %v", buf[:n], from)
		}

		if out := a.Run("ip", "-o", "addr", "show", "dev", "hk0"); !strings.Contains(out, "10.9.0.1/24") {
			t.Errorf("ip addr in A: %q", out)
		}

		if err := a.WriteSysctl("net/ipv4/conf/all/arp_accept", "1"); err != nil {
			t.Fatal(err)
		}
		if v, err := a.ReadSysctl("net/ipv4/conf/all/arp_accept"); err != nil || v != "1" {
			t.Errorf("arp_accept in A = %q, %v", v, err)
		}
		if v, err := b.ReadSysctl("net/ipv4/conf/all/arp_accept"); err != nil || v != "0" {
			t.Errorf("arp_accept in B = %q, %v (sysctl leaked across namespaces)", v, err)
		}

		// A command started in a namespace belongs to the test; cleanup kills it if left running.
		// Registered first so that it runs after the harness's kill (cleanups run last-in
		// first-out).
		var cmd *exec.Cmd
		t.Cleanup(func() {
			err := cmd.Wait()
			var ee *exec.ExitError
			if !errors.As(err, &ee) {
				t.Errorf("sleep: want killed, got %v", err)
			}
		})
		cmd = a.Command(context.Background(), "sleep", "60")
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
	})
	out, err := exec.Command("ip", "netns", "list").Output()
	if err != nil {
		t.Skip("ip netns list:", err)
	}
	for _, n := range names {
		if strings.Contains(string(out), n) {
			t.Errorf("namespace %s left behind after cleanup", n)
		}
	}
}
