package doctor

import (
	"fmt"
	"io"
	"net/netip"
	"time"
)

// Role is what the checked host is.
type Role string

const (
	Director   Role = "director"
	RealServer Role = "realserver"
)

// Finding is one problem: what is wrong and the command that fixes it.
type Finding struct {
	Check   string // short name: "arp_ignore", "vip", "listener", ...
	Problem string
	Fix     string
}

// Report is the outcome of Run: the findings, the warnings (settings that are wrong only in
// setups this host may grow into; they do not fail the run), the checks that passed and those
// that could not run (with why).
type Report struct {
	Findings   []Finding
	Warnings   []Finding
	Passed     []string
	NotChecked []string
}

func (r *Report) fail(check, fix, format string, args ...any) {
	r.Findings = append(r.Findings, Finding{Check: check, Problem: fmt.Sprintf(format, args...), Fix: fix})
}
func (r *Report) warn(check, fix, format string, args ...any) {
	r.Warnings = append(r.Warnings, Finding{Check: check, Problem: fmt.Sprintf(format, args...), Fix: fix})
}
func (r *Report) pass(format string, args ...any) {
	r.Passed = append(r.Passed, fmt.Sprintf(format, args...))
}
func (r *Report) skip(format string, args ...any) {
	r.NotChecked = append(r.NotChecked, fmt.Sprintf(format, args...))
}

// Write prints the report for people: findings first, each with its fix.
func (r *Report) Write(w io.Writer) {
	for _, f := range r.Findings {
		fmt.Fprintf(w, "FAIL %s: %s\n     fix: %s\n", f.Check, f.Problem, f.Fix)
	}
	for _, f := range r.Warnings {
		fmt.Fprintf(w, "WARN %s: %s\n     fix: %s\n", f.Check, f.Problem, f.Fix)
	}
	for _, p := range r.Passed {
		fmt.Fprintf(w, "ok   %s\n", p)
	}
	for _, s := range r.NotChecked {
		fmt.Fprintf(w, "skip %s\n", s)
	}
	problems := "no problems"
	if n := len(r.Findings); n > 0 {
		problems = plural(n, "problem")
	}
	if n := len(r.Warnings); n > 0 {
		fmt.Fprintf(w, "%s found, %s\n", problems, plural(n, "warning"))
		return
	}
	fmt.Fprintf(w, "%s found\n", problems)
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

// Instance is what the director checks need of a vrrp_instance.
type Instance struct {
	Name      string
	Interface string
	VRID      int
	VIPs      []netip.Addr
	// Devs are the VIPs placed on another interface than the instance's
	// (virtual_ipaddress "ADDR dev IF"); a VIP missing here lives on Interface.
	Devs  map[netip.Addr]string
	State string // from the running halvs: "MASTER", "BACKUP", ...; "" when unknown
	// Track are the track_interface names.
	Track []string
}

// devOf is the interface v belongs on.
func (in Instance) devOf(v netip.Addr) string {
	if d := in.Devs[v]; d != "" {
		return d
	}
	return in.Interface
}

// Service is a virtual service's address and the port real servers serve it on.
type Service struct {
	VIP      netip.Addr
	Port     uint16 // the port the real server must listen on (DR keeps the VIP's port)
	Protocol string // "TCP", "UDP"
}

// Options say what to check.
type Options struct {
	Role      Role
	Instances []Instance // director: from the config (and the running halvs' states)
	Services  []Service  // both roles: the virtual services
	// HasVirtualServers: the director's config programs IPVS, so ip_vs must be available.
	HasVirtualServers bool
	// NAT, NAT6: an IPv4 (IPv6) virtual server forwards with lb_kind NAT, so the real
	// servers' replies are routed through the director: it must forward.
	NAT, NAT6 bool
	// VIPs a real server must hold on lo (defaults to the services' VIPs, else to the
	// host addresses (/32, /128) found on lo, and on tunl0 for TUN).
	VIPs []netip.Addr
	// ListenFor is how long to listen for other routers' adverts (director); 0 skips it.
	ListenFor time.Duration
	// TUN: the real server is reached through IP-in-IP tunnels (lb_kind TUN), whose packets
	// a strict rp_filter drops even on a single-homed host.
	TUN bool
}

// Run checks sys against opts.
func Run(sys System, opts Options) *Report {
	r := &Report{}
	switch opts.Role {
	case Director:
		checkDirector(sys, opts, r)
	case RealServer:
		checkRealServer(sys, opts, r)
	default:
		r.skip("unknown role %q", opts.Role)
	}
	return r
}
