package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/halvs/halvs/config"
	"github.com/halvs/halvs/control"
)

func init() {
	register(&command{name: "status", summary: "show VRRP instances, virtual and real servers of the running halvs", order: 30, run: runStatus})
}

func runStatus(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("status", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var (
		cfgPath, socket string
		asJSON, watch   bool
		interval        time.Duration
	)
	fs.StringVar(&cfgPath, "c", "", "read global.control_socket from this config `FILE`")
	fs.StringVar(&cfgPath, "config", "", "same as -c")
	fs.StringVar(&socket, "socket", "", "the control socket `PATH` (default "+config.DefaultControlSocket+")")
	fs.BoolVar(&asJSON, "json", false, "print the status document as JSON, for scripts")
	fs.BoolVar(&watch, "watch", false, "redraw every interval until interrupted")
	fs.DurationVar(&interval, "interval", 2*time.Second, "refresh `DURATION` for --watch")
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), `Usage: halvs status [-c FILE | --socket PATH] [--json] [--watch [--interval 2s]]

Asks the running halvs (over its control socket, root only) for its state and prints one
screen: each VRRP instance (state, configured/effective priority, the master's address, since
when, the last transition and why), each virtual server with its real servers (configured and
effective weight, health, last check result and latency, active/inactive connections from
IPVS) and the IPVS sync daemon's role.

Flags:
  -c, --config FILE   take the socket path from FILE's global.control_socket
  --socket PATH       the control socket (default: /etc/halvs/halvs.hcl's when that file
                      is there, else /run/halvs.sock)
  --json              print the status document as JSON (stable field names, for scripts)
  --watch             redraw every --interval until Ctrl-C
  --interval D        refresh interval for --watch (default 2s)

Exit status: 0 shown, 1 halvs is not reachable, 2 usage error.
`)
	}
	if code, done := parseFlags(fs, args, stdout, stderr); done {
		return code
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "halvs status: unexpected argument %q\n", fs.Arg(0))
		return exitUsage
	}
	if cfgPath != "" && socket != "" {
		fmt.Fprintln(stderr, "halvs status: give -c FILE or --socket PATH, not both")
		return exitUsage
	}
	if watch && interval <= 0 {
		fmt.Fprintln(stderr, "halvs status: --interval must be positive")
		return exitUsage
	}
	socket, err := socketPath(cfgPath, socket)
	if err != nil {
		fmt.Fprintf(stderr, "halvs status: %v\n", err)
		return exitFailure
	}
	client := control.NewClient(socket)
	show := func(ctx context.Context, w io.Writer) error {
		st, err := client.Status(ctx)
		if err != nil {
			return err
		}
		if asJSON {
			enc := json.NewEncoder(w)
			enc.SetIndent("", "  ")
			return enc.Encode(st)
		}
		renderStatus(w, st, time.Local)
		return nil
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if watch {
		err = watchStatus(ctx, stdout, interval, asJSON, show)
	} else {
		err = show(ctx, stdout)
	}
	if err != nil {
		fmt.Fprintf(stderr, "halvs status: %v\n", err)
		return exitFailure
	}
	return exitOK
}

// socketPath picks the control socket: --socket, else the config's (-c FILE, else
// defaultConfig when it is there and valid), else the default.
func socketPath(cfgPath, socket string) (string, error) {
	switch {
	case socket != "":
		return socket, nil
	case cfgPath != "":
		cfg, diags := config.Load(cfgPath)
		if diags.HasErrors() {
			var b strings.Builder
			diags.Write(&b)
			return "", fmt.Errorf("cannot read %s:\n%s", cfgPath, b.String())
		}
		return cfg.Global.ControlSocket, nil
	}
	if _, err := os.Stat(defaultConfig); err == nil {
		if cfg, diags := config.Load(defaultConfig); !diags.HasErrors() {
			return cfg.Global.ControlSocket, nil
		}
	}
	return config.DefaultControlSocket, nil
}

// clearScreen homes the cursor and clears the terminal (ANSI), as watch(1) does.
const clearScreen = "\033[H\033[2J"

// watchStatus redraws every interval until ctx ends. A failed fetch is shown in place of the
// screen and retried: during a restart of halvs the watcher keeps going. JSON output is one
// document per refresh, without clearing, so it can be piped; so is the text output when w
// is not a terminal: each screen appended after a blank line, with no control codes.
func watchStatus(ctx context.Context, w io.Writer, interval time.Duration, asJSON bool, show func(context.Context, io.Writer) error) error {
	t := time.NewTicker(interval)
	defer t.Stop()
	redraw := !asJSON && isTerminal(w)
	for n := 0; ; n++ {
		var b strings.Builder
		switch {
		case redraw:
			b.WriteString(clearScreen)
		case !asJSON && n > 0:
			b.WriteString("\n")
		}
		if err := show(ctx, &b); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			fmt.Fprintf(&b, "halvs status: %v\n(retrying every %s; Ctrl-C to stop)\n", err, interval)
		}
		if _, err := io.WriteString(w, b.String()); err != nil {
			return err
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// renderStatus writes the one-screen view. Ages are relative to the snapshot's time, so the
// output depends on the snapshot alone (and loc, for the clock times shown).
func renderStatus(w io.Writer, st *control.Status, loc *time.Location) {
	now := st.Time
	clock := func(t time.Time) string {
		if t.IsZero() {
			return "-"
		}
		return t.In(loc).Format("2006-01-02 15:04:05") + " (" + age(now, t) + ")"
	}
	fmt.Fprintf(w, "halvs on %s at %s\n", orDash(st.RouterID), now.In(loc).Format("2006-01-02 15:04:05 MST"))
	if st.ConfigFile != "" {
		fmt.Fprintf(w, "config %s, loaded %s\n", st.ConfigFile, clock(st.ConfigLoaded))
	}
	if r := st.LastReload; r != nil {
		res := "succeeded"
		if r.Result != "success" {
			res = "FAILED, the running configuration is kept"
		}
		fmt.Fprintf(w, "last reload %s: %s\n", clock(r.At), res)
		for _, e := range r.Errors {
			fmt.Fprintf(w, "  %s\n", e)
		}
	}

	fmt.Fprintf(w, "\nVRRP instances (%d)\n", len(st.Instances))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  INSTANCE\tSTATE\tIF\tVRID\tPRIO\tEFF\tMASTER\tSINCE")
	for _, in := range st.Instances {
		master := "-"
		if in.MasterAddr.IsValid() {
			master = in.MasterAddr.String()
			if in.State == "MASTER" {
				master += " (this router)"
			}
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%d\t%d\t%d\t%s\t%s\n", in.Name, in.State, in.Interface, in.VRID,
			in.Priority, in.EffectivePriority, master, clock(in.Since))
	}
	tw.Flush()
	for _, in := range st.Instances {
		var notes []string
		if lt := in.LastTransition; lt != nil {
			notes = append(notes, fmt.Sprintf("last transition %s → %s at %s: %s", lt.From, lt.To, lt.At.In(loc).Format("15:04:05"), lt.Reason))
		}
		if in.State != "MASTER" && in.MasterAddr.IsValid() && !in.MasterSince.IsZero() {
			notes = append(notes, fmt.Sprintf("master %s since %s", in.MasterAddr, clock(in.MasterSince)))
		}
		if len(in.Faults) > 0 {
			notes = append(notes, "faults: "+strings.Join(in.Faults, ", "))
		}
		if !in.HoldUntil.IsZero() && in.HoldUntil.After(now) {
			notes = append(notes, fmt.Sprintf("held BACKUP by a failover for %s more", in.HoldUntil.Sub(now).Round(time.Second)))
		}
		if in.VMAC != "" {
			notes = append(notes, "VMAC "+in.VMAC+" holds the VIPs")
		}
		var vips []string
		for _, p := range in.VIPs {
			vips = append(vips, p.String())
		}
		if len(vips) > 0 {
			notes = append(notes, "VIPs "+strings.Join(vips, " "))
		}
		if len(in.Trackers) > 0 {
			notes = append(notes, "tracks "+trackers(in.Trackers))
		}
		for _, r := range in.VirtualRoutes {
			notes = append(notes, "virtual route "+r)
		}
		for _, r := range in.VirtualRules {
			notes = append(notes, "virtual rule "+r)
		}
		for _, n := range notes {
			fmt.Fprintf(w, "  %s: %s\n", in.Name, n)
		}
	}

	fmt.Fprintf(w, "\nVirtual servers (%d)\n", len(st.VirtualServers))
	for _, vs := range st.VirtualServers {
		q := "quorum up"
		if !vs.QuorumUp {
			q = "QUORUM LOST"
		}
		fmt.Fprintf(w, "  %s %s  %s %s  %s (alive weight %d, quorum %d)", vs.Protocol, vs.Name, vs.Scheduler, vs.Method, q, vs.AliveWeight, vs.Quorum)
		if vs.SorryActive {
			fmt.Fprint(w, "  SORRY SERVER ACTIVE")
		}
		if s := vs.Stats; s != nil {
			fmt.Fprintf(w, "  %d conns, %s in, %s out; %s", s.Connections, iecBytes(s.BytesIn), iecBytes(s.BytesOut), rates(s))
		}
		fmt.Fprintln(w)
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "    REAL SERVER\tWEIGHT\tEFF\tHEALTH\tLAST CHECK\tACTIVE\tINACTIVE\tCPS\tPPS IN/OUT\tBPS IN/OUT")
		for _, rs := range vs.RealServers {
			eff := fmt.Sprint(rs.EffectiveWeight)
			if !rs.InTable {
				eff = "out"
			}
			health := string(rs.Health)
			if !rs.HealthSince.IsZero() {
				health += " " + span(now.Sub(rs.HealthSince))
			}
			cps, pps, bps := "-", "-", "-"
			if s := rs.Stats; s != nil {
				cps, pps, bps = fmt.Sprint(s.CPS), fmt.Sprintf("%d/%d", s.InPPS, s.OutPPS), iecBytes(s.InBPS)+"/"+iecBytes(s.OutBPS)
			}
			fmt.Fprintf(tw, "    %s\t%d\t%s\t%s\t%s\t%d\t%d\t%s\t%s\t%s\n", rs.Addr, rs.Weight, eff, health, lastCheck(now, rs.LastCheck),
				rs.ActiveConns, rs.InactiveConns, cps, pps, bps)
		}
		tw.Flush()
	}

	fmt.Fprint(w, "\nIPVS sync daemon: ")
	if sd := st.SyncDaemon; sd != nil {
		fmt.Fprintf(w, "%s on %s, syncid %d (follows %s)\n", sd.Role, sd.Interface, sd.SyncID, sd.Instance)
	} else {
		fmt.Fprintln(w, "not configured")
	}
	if s := st.Static; s != nil {
		fmt.Fprintln(w, "\nStatic (static_ipaddress, static_routes, static_rules)")
		for _, a := range s.Addresses {
			fmt.Fprintf(w, "  address %s\n", a)
		}
		for _, r := range s.Routes {
			fmt.Fprintf(w, "  route %s\n", r)
		}
		for _, r := range s.Rules {
			fmt.Fprintf(w, "  rule %s\n", r)
		}
	}
	renderBGP(w, st.BGP, loc, now) // drain.go
	if len(st.Events) > 0 {
		shown := st.Events[:min(len(st.Events), eventsShown)]
		fmt.Fprintf(w, "\nRecent events (%d of %d, newest first)\n", len(shown), len(st.Events))
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		for _, e := range shown {
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", e.At.In(loc).Format("15:04:05"), e.Kind, e.Subject, e.Message)
		}
		tw.Flush()
	}
}

// eventsShown is how many of the director's recent events the text status lists; --json
// and the status page carry all it keeps.
const eventsShown = 10

// trackers lists an instance's tracked objects: "interface eth1 up (weight 10), file drain
// = 3 (weight -2 reverse)"; a track_file shows its value, not a state.
func trackers(ts []control.Tracker) string {
	var out []string
	for _, t := range ts {
		state := t.State
		if t.Value != nil {
			state = fmt.Sprintf("= %d", *t.Value)
		}
		w := fmt.Sprintf("weight %d", t.Weight)
		if t.Reverse {
			w += " reverse"
		}
		out = append(out, fmt.Sprintf("%s %s %s (%s)", t.Kind, t.Name, state, w))
	}
	return strings.Join(out, ", ")
}

// rates are the kernel's per-second figures, as ipvsadm -Ln --rate shows them.
func rates(s *control.IPVSStats) string {
	return fmt.Sprintf("%d conn/s, %d/%d pkt/s in/out, %s/%s per s in/out", s.CPS, s.InPPS, s.OutPPS, iecBytes(s.InBPS), iecBytes(s.OutBPS))
}

func lastCheck(now time.Time, c *control.CheckResult) string {
	if c == nil {
		return "not run yet"
	}
	res := "ok"
	if !c.OK {
		res = "FAIL"
	}
	s := fmt.Sprintf("%s %s %s, %s", res, c.Checker, time.Duration(c.Latency).Round(time.Microsecond), age(now, c.At))
	if c.Error != "" {
		s += ": " + c.Error
	}
	return s
}

// age is how long before now t was, rounded for reading: "12s ago", "5m3s ago", "2h4m ago".
func age(now, t time.Time) string {
	d := now.Sub(t)
	if d < 0 {
		return "in the future"
	}
	return span(d) + " ago"
}

// span rounds d for reading: seconds below an hour, minutes below two days, then days.
func span(d time.Duration) string {
	switch {
	case d < time.Hour:
		return d.Round(time.Second).String()
	case d < 48*time.Hour:
		s := strings.TrimSuffix(d.Round(time.Minute).String(), "0s") // "2h4m0s" → "2h4m"
		if h, ok := strings.CutSuffix(s, "h0m"); ok {
			return h + "h"
		}
		return s
	}
	return fmt.Sprintf("%dd", int(d.Hours()/24))
}

// bytes prints a byte count in IEC units, as ipvsadm --stats does with K, M, G.
func iecBytes(n uint64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%dB", n)
	}
	div, exp := uint64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f%ciB", float64(n)/float64(div), "KMGTPE"[exp])
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
