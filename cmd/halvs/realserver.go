package main

import (
	"flag"
	"fmt"
	"io"
	"net/netip"
	"path/filepath"
	"strings"

	"github.com/halvs/halvs/realserver"
)

func init() {
	register(&command{name: "realserver", summary: "prepare (up) or restore (down) a real server for LVS direct routing", order: 50, run: runRealserver})
}

// realserverPaths are the files `halvs realserver` uses; tests point them at a temp dir.
var realserverPaths realserver.Paths

// vipList collects repeated --vip flags (a comma-separated list works too).
type vipList []netip.Addr

func (v *vipList) String() string {
	var s []string
	for _, a := range *v {
		s = append(s, a.String())
	}
	return strings.Join(s, ",")
}

func (v *vipList) Set(s string) error {
	for _, f := range strings.Split(s, ",") {
		a, err := netip.ParseAddr(strings.TrimSpace(f))
		if err != nil {
			return fmt.Errorf("%q is not an IP address", f)
		}
		*v = append(*v, a)
	}
	return nil
}

func runRealserver(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("realserver", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var vips vipList
	var persist, tun bool
	fs.Var(&vips, "vip", "a virtual server `ADDR` (repeat for several)")
	fs.BoolVar(&tun, "tun", false, "LVS-TUN: the VIPs go on tunl0 (set up), with its rp_filter relaxed")
	fs.BoolVar(&persist, "persist", false, "also write the sysctls to "+filepath.Join(realserver.DefaultSysctlDir, realserver.SysctlFile))
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), `Usage: halvs realserver up [--tun] --vip ADDR [--vip ADDR ...] [--persist]
       halvs realserver down [--vip ADDR ...]

Prepares this host to be a real server behind an LVS director in direct-routing (DR) mode,
as keepalived's LVS-DR recipe does, or undoes it. Run it on each real server, as root.

up:
  - adds each VIP to lo as ADDR/32 (IPv6: /128), label lo:halvs, so the host accepts the
    packets the director forwards to it unchanged;
  - sets net.ipv4.conf.all.arp_ignore=1, net.ipv4.conf.lo.arp_ignore=1,
    net.ipv4.conf.all.arp_announce=2, net.ipv4.conf.lo.arp_announce=2 (written to /proc/sys),
    so the host never answers ARP for the VIP or uses it as an ARP source: on the wire the
    VIP belongs to the director;
  - records what it changed (and each sysctl's previous value) in %s.

up --tun is for lb_kind TUN (IP-in-IP tunnelling; IPv4 VIPs only): the VIPs go on tunl0
instead of lo (label tunl0:halvs), tunl0 is set up (created by loading the ipip module when
missing), and net.ipv4.conf.tunl0.rp_filter=0, with net.ipv4.conf.all.rp_filter=0 when it
is strict (1): the decapsulated packets carry the client's address, which this host routes
out another interface.

--persist also writes %s
with those four sysctls, so they survive a reboot. It cannot persist the addresses: the file
ends with a note giving the 'halvs realserver up --vip ...' line to run at boot (or add the
VIPs to lo in your network configuration).

down removes the VIPs halvs added (all, or only the --vip ones given), and once none is left
restores each sysctl to its value from before 'up' (unless someone changed it since) and
removes the persisted file. Addresses and settings halvs did not change are left alone.

Exit status: 0 done, 1 failed (nothing is left half-applied by up), 2 usage error.
`, realserver.DefaultStateFile, filepath.Join(realserver.DefaultSysctlDir, realserver.SysctlFile))
	}
	if len(args) == 0 {
		fs.Usage()
		return exitUsage
	}
	verb := args[0]
	if verb == "-h" || verb == "--help" || verb == "help" {
		fs.SetOutput(stdout) // asked for: help goes to stdout
		fs.Usage()
		return exitOK
	}
	if code, done := parseFlags(fs, args[1:], stdout, stderr); done {
		return code
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "halvs realserver: unexpected argument %q\n", fs.Arg(0))
		return exitUsage
	}
	switch verb {
	case "up":
		if err := realserver.ValidateVIPs(vips); err != nil {
			fmt.Fprintf(stderr, "halvs realserver up: %v\n", err)
			return exitUsage
		}
	case "down":
		if tun {
			fmt.Fprintln(stderr, "halvs realserver down: --tun belongs to up (down undoes what up did, tunl0 included)")
			return exitUsage
		}
		if persist {
			fmt.Fprintln(stderr, "halvs realserver down: --persist belongs to up (down removes what up persisted)")
			return exitUsage
		}
	default:
		fmt.Fprintf(stderr, "halvs realserver: want up or down, not %q\n", verb)
		return exitUsage
	}

	h, err := realserver.Open(realserverPaths)
	if err != nil {
		fmt.Fprintf(stderr, "halvs realserver %s: %v\n", verb, err)
		return exitFailure
	}
	defer h.Close()
	var changes []string
	switch {
	case verb == "up" && tun:
		changes, err = h.UpTUN(vips, persist)
	case verb == "up":
		changes, err = h.Up(vips, persist)
	default:
		changes, err = h.Down(vips)
	}
	for _, c := range changes {
		fmt.Fprintln(stdout, c)
	}
	if err != nil {
		fmt.Fprintf(stderr, "halvs realserver %s: %v\n", verb, err)
		return exitFailure
	}
	if len(changes) == 0 {
		fmt.Fprintln(stdout, "nothing to change")
	}
	return exitOK
}
