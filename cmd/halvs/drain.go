package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/netip"
	"os"
	"os/signal"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/halvs/halvs/config"
	"github.com/halvs/halvs/control"
	"github.com/halvs/halvs/director"
)

func init() {
	register(&command{name: "drain", summary: "withdraw this director's BGP prefixes (active-active), before maintenance", order: 45,
		run: func(args []string, stdout, stderr io.Writer) int {
			return runDrain("drain", true, args, stdout, stderr)
		}})
	register(&command{name: "undrain", summary: "announce this director's BGP prefixes again after a drain", order: 46,
		run: func(args []string, stdout, stderr io.Writer) int {
			return runDrain("undrain", false, args, stdout, stderr)
		}})
}

func runDrain(name string, drain bool, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cfgPath, socket string
	fs.StringVar(&cfgPath, "c", "", "read global.control_socket from this config `FILE`")
	fs.StringVar(&cfgPath, "config", "", "same as -c")
	fs.StringVar(&socket, "socket", "", "the control socket `PATH` (default "+config.DefaultControlSocket+")")
	fs.Usage = func() {
		if drain {
			fmt.Fprint(fs.Output(), `Usage: halvs drain [-c FILE | --socket PATH]

For an active-active director (a bgp block): asks the local halvs (over its control socket,
root only) to withdraw every bgp_announce prefix from its BGP neighbors and keep them
withdrawn, whatever the health checks say, until 'halvs undrain'. The routers move new flows
to the other directors; established connections keep being forwarded here. It prints what
was withdrawn and the longest drain_time among it: wait that long before stopping halvs.
Stopping halvs (SIGTERM) drains by itself and waits drain_time before it stops.
`)
		} else {
			fmt.Fprint(fs.Output(), `Usage: halvs undrain [-c FILE | --socket PATH]

Ends 'halvs drain': every bgp_announce prefix whose tracked virtual servers have quorum is
announced again.
`)
		}
		fmt.Fprint(fs.Output(), `
Flags:
  -c, --config FILE   take the socket path from FILE's global.control_socket
  --socket PATH       the control socket (default: /etc/halvs/halvs.hcl's when that file
                      is there, else /run/halvs.sock)

Exit status: 0 done, 1 halvs is not reachable or has no bgp block, 2 usage error.
`)
	}
	if code, done := parseFlags(fs, args, stdout, stderr); done {
		return code
	}
	if code := checkControlFlags(name, fs, cfgPath, socket, stderr); code != exitOK {
		return code
	}
	socket, err := socketPath(cfgPath, socket)
	if err != nil {
		fmt.Fprintf(stderr, "halvs %s: %v\n", name, err)
		return exitFailure
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	res, err := control.NewClient(socket).Drain(ctx, control.DrainRequest{Drain: drain})
	if err != nil {
		fmt.Fprintf(stderr, "halvs %s: %v\n", name, err)
		return exitFailure
	}
	if drain {
		fmt.Fprintf(stdout, "drained: %d prefixes withdrawn %v; give established connections %v before stopping\n",
			len(res.Withdrawn), res.Withdrawn, time.Duration(res.Wait))
	} else {
		fmt.Fprintf(stdout, "undrained: %d prefixes announced %v\n", len(res.Announced), res.Announced)
	}
	return exitOK
}

// drain is the control socket's drain and undrain.
func (dm *daemon) drain(_ context.Context, req control.DrainRequest) (*control.DrainResult, error) {
	res := &control.DrainResult{Drained: req.Drain}
	if req.Drain {
		ps, wait, err := dm.d.Drain()
		if errors.Is(err, director.ErrNoBGP) {
			return nil, control.ErrNoBGP
		}
		res.Withdrawn, res.Wait = prefixStrings(ps), control.Duration(wait)
		return res, err
	}
	ps, err := dm.d.Undrain()
	if errors.Is(err, director.ErrNoBGP) {
		return nil, control.ErrNoBGP
	}
	res.Announced = prefixStrings(ps)
	return res, err
}

func prefixStrings(ps []netip.Prefix) []string {
	out := []string{}
	for _, p := range ps {
		out = append(out, p.String())
	}
	return out
}

// renderBGP is `halvs status`'s BGP section.
func renderBGP(w io.Writer, b *control.BGP, loc *time.Location, now time.Time) {
	if b == nil {
		return
	}
	state := "announcing"
	if b.Drained {
		state = "DRAINED"
		if b.DrainUntil.After(now) {
			state += fmt.Sprintf(" (drain_time ends %s)", b.DrainUntil.In(loc).Format("15:04:05"))
		}
	}
	fmt.Fprintf(w, "\nBGP: asn %d, router_id %s, %s\n", b.ASN, b.RouterID, state)
	if b.Error != "" {
		fmt.Fprintf(w, "  sessions unknown: %s\n", b.Error)
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, n := range b.Neighbors {
		since := ""
		if n.Up && !n.Since.IsZero() {
			since = "since " + n.Since.In(loc).Format("15:04:05")
		}
		fmt.Fprintf(tw, "  neighbor %s\tas %d\t%s\t%s\n", n.Address, n.PeerASN, n.State, since)
	}
	for _, p := range b.Prefixes {
		state := "withdrawn"
		if p.Announced {
			state = "announced"
		}
		fmt.Fprintf(tw, "  prefix %s\t%s\t%s\t%s\n", p.Prefix, p.Announce, state, p.Reason)
	}
	tw.Flush()
}
