package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net/netip"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/halvs/halvs/config"
	"github.com/halvs/halvs/control"
	"github.com/halvs/halvs/doctor"
)

func init() {
	register(&command{name: "doctor", summary: "check this director or real server for common LVS-DR/VRRP mistakes", order: 60, run: runDoctor})
}

// doctorSystem is what doctor inspects; tests replace it.
var doctorSystem = func() doctor.System { return &doctor.Live{} }

// portList collects repeated --port flags.
type portList []uint16

func (p *portList) String() string { return fmt.Sprint([]uint16(*p)) }
func (p *portList) Set(s string) error {
	var v uint16
	if _, err := fmt.Sscan(s, &v); err != nil || v == 0 {
		return fmt.Errorf("%q is not a port (1-65535)", s)
	}
	*p = append(*p, v)
	return nil
}

func runDoctor(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("doctor", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var (
		cfgPath, role string
		vips          vipList
		ports         portList
		listenSeconds int
		tun           bool
	)
	fs.StringVar(&cfgPath, "c", "", "the halvs config `FILE` (instances, VIPs, services)")
	fs.StringVar(&cfgPath, "config", "", "same as -c")
	fs.StringVar(&role, "role", "", "director or realserver (default: director with -c, else realserver)")
	fs.Var(&vips, "vip", "a VIP this real server must serve (repeatable)")
	fs.Var(&ports, "port", "a TCP service port to check listeners and firewall for (repeatable)")
	fs.BoolVar(&tun, "tun", false, "real server: reached through lb_kind TUN (tunl0)")
	fs.IntVar(&listenSeconds, "listen-seconds", 3, "director: listen this long for other routers' VRRP adverts (0: skip)")
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), `Usage: halvs doctor [-c FILE] [--role director|realserver] [--vip ADDR ...] [--port N ...]
                    [--tun] [--listen-seconds N]

Looks for the mistakes that break LVS direct routing and VRRP, and prints each one with the
command that fixes it. It only reads the system (run it as root for the firewall and VRRP
checks).

On a director (--role director, or -c FILE; FILE defaults to /etc/halvs/halvs.hcl, and a
host that has that file is a director):
  - the ip_vs kernel module is missing while the config has virtual servers
  - an interface the config names (interface, a VIP's dev, track_interface) does not exist
  - a VIP is the director's primary address on its interface (it has none of its own)
  - net.ipv4.ip_forward (IPv6: net.ipv6.conf.all.forwarding) is off for lb_kind NAT
  - a VIP is missing on the MASTER, or present on a BACKUP (asks the running halvs)
  - the firewall (nft or iptables) drops VRRP (IP protocol 112) or a service port
  - another VRRP group uses one of our VRIDs on the segment (listens for adverts)
On a real server (--role realserver; VIPs from --vip, the config's virtual servers, else
the /32 and /128 addresses on lo, and tunl0 with --tun):
  - a VIP is not on lo, or is on a NIC (the real server would steal it with ARP)
  - net.ipv4.conf arp_ignore < 1 or arp_announce < 2
  - strict rp_filter (1), which drops DR traffic on multi-homed hosts and TUN traffic
    (only a warning on a host with one NIC and no lb_kind TUN in the config)
  - the service listens only on the NIC's address, not the VIP or all addresses
  - the firewall drops a service port
  - with --tun (or lb_kind TUN in the config): tunl0 missing, down, or with a strict
    rp_filter ('halvs realserver up --tun' sets it up)

Flags:
  -c, --config FILE     the halvs config (default /etc/halvs/halvs.hcl)
  --role ROLE           director or realserver
  --vip ADDR            a VIP (repeatable; real server)
  --port N              a TCP service port (repeatable; default: the config's virtual
                        server ports)
  --tun                 the real server is reached through lb_kind TUN
  --listen-seconds N    how long to listen for VRRP adverts (director; default 3, 0 skips)

Exit status: 0 no problem found (warnings allowed), 1 problems found (or the config is
unreadable), 2 usage error.
`)
	}
	if code, done := parseFlags(fs, args, stdout, stderr); done {
		return code
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "halvs doctor: unexpected argument %q\n", fs.Arg(0))
		return exitUsage
	}
	// Without -c, a director reads defaultConfig, and a host that has one is a director.
	if cfgPath == "" && role != string(doctor.RealServer) {
		if _, err := os.Stat(defaultConfig); err == nil || role == string(doctor.Director) {
			cfgPath = defaultConfig
		}
	}
	if role == "" {
		role = string(doctor.RealServer)
		if cfgPath != "" {
			role = string(doctor.Director)
		}
	}
	opts := doctor.Options{Role: doctor.Role(role), VIPs: vips, ListenFor: time.Duration(listenSeconds) * time.Second, TUN: tun}
	switch {
	case opts.Role != doctor.Director && opts.Role != doctor.RealServer:
		fmt.Fprintf(stderr, "halvs doctor: --role is director or realserver, not %q\n", role)
		return exitUsage
	case listenSeconds < 0:
		fmt.Fprintln(stderr, "halvs doctor: --listen-seconds must not be negative")
		return exitUsage
	}
	if cfgPath != "" {
		cfg, diags := config.Load(cfgPath)
		if diags.HasErrors() {
			var b strings.Builder
			diags.Write(&b)
			fmt.Fprintf(stderr, "halvs doctor: cannot read %s:\n%s", cfgPath, b.String())
			return exitFailure
		}
		fromConfig(cfg, &opts)
	}
	for _, p := range ports {
		for _, v := range servicesVIPs(opts) {
			opts.Services = append(opts.Services, doctor.Service{VIP: v, Port: p, Protocol: "TCP"})
		}
	}
	what := "real server"
	if opts.Role == doctor.Director {
		what = "director"
	}
	fmt.Fprintf(stdout, "halvs doctor: checking this host as a %s\n", what)
	rep := doctor.Run(doctorSystem(), opts)
	rep.Write(stdout)
	if len(rep.Findings) > 0 {
		return exitFailure
	}
	return exitOK
}

// servicesVIPs are the addresses a --port applies to: --vip, else the config's VIPs.
func servicesVIPs(o doctor.Options) []netip.Addr {
	if len(o.VIPs) > 0 {
		return o.VIPs
	}
	var out []netip.Addr
	for _, in := range o.Instances {
		out = append(out, in.VIPs...)
	}
	return out
}

// fromConfig fills the instances and services from the config, and each instance's state
// from the running halvs when its control socket answers.
func fromConfig(cfg *config.Config, o *doctor.Options) {
	states := map[string]string{}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if st, err := control.NewClient(cfg.Global.ControlSocket).Status(ctx); err == nil {
		for _, in := range st.Instances {
			states[in.Name] = in.State
		}
	}
	for _, in := range cfg.VRRPInstances {
		di := doctor.Instance{Name: in.Name, Interface: in.Interface, VRID: in.VirtualRouterID, State: states[in.Name]}
		for _, ti := range in.TrackInterfaces {
			di.Track = append(di.Track, ti.Name)
		}
		for _, v := range in.VirtualIPAddresses {
			di.VIPs = append(di.VIPs, v.Addr())
			if v.Dev != "" && v.Dev != in.Interface {
				if di.Devs == nil {
					di.Devs = map[netip.Addr]string{}
				}
				di.Devs[v.Addr()] = v.Dev
			}
		}
		o.Instances = append(o.Instances, di)
	}
	for _, vs := range cfg.VirtualServers {
		o.TUN = o.TUN || vs.Method == config.MethodTUN ||
			slices.ContainsFunc(vs.RealServers, func(rs config.RealServer) bool { return rs.Method == config.MethodTUN })
		for _, rs := range vs.RealServers {
			if rs.Method == config.MethodNAT || rs.Method == "" && vs.Method == config.MethodNAT {
				o.NAT = o.NAT || rs.Addr.Addr().Is4()
				o.NAT6 = o.NAT6 || rs.Addr.Addr().Is6()
			}
		}
		if vs.Group != "" || vs.FWMark != 0 || vs.Addr.Port() == 0 {
			continue // no single address and port to check
		}
		o.HasVirtualServers = true
		o.Services = append(o.Services, doctor.Service{VIP: vs.Addr.Addr(), Port: vs.Addr.Port(), Protocol: string(vs.Protocol)})
	}
	if len(cfg.VirtualServers) > 0 {
		o.HasVirtualServers = true
	}
}
