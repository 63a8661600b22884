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
	"time"

	"github.com/halvs/halvs/config"
	"github.com/halvs/halvs/control"
)

func init() {
	register(&command{name: "failover", summary: "hand the MASTER role to the peer gracefully and time the takeover", order: 40, run: runFailover})
}

// controlAPI is the part of control.Client that failover and drill use (tests fake it).
type controlAPI interface {
	Status(context.Context) (*control.Status, error)
	Failover(context.Context, control.FailoverRequest) (*control.FailoverResult, error)
}

// pollEvery is how often failover and drill read the status while they wait. The times they
// report do not depend on it: they come from the director's own timestamps.
var pollEvery = 10 * time.Millisecond

// takeover is what one hand-over came to, as the old master saw it.
type takeover struct {
	Instance  string
	Self      netip.Addr // our address (the master's address while we were MASTER)
	Sent      time.Time  // our priority-0 advert
	HoldUntil time.Time
	Peer      netip.Addr    // the new master; zero: nobody claimed the VIPs
	Took      time.Duration // from Sent to the peer's first advert as master
	TookBack  bool          // we became MASTER again before a peer was heard
}

// handOver asks the director to hand instance over and waits (until ctx ends) for a peer's
// first advert as master, which it sends just before adding the VIPs: the takeover time is
// that advert's arrival (stamped by the director) minus our priority-0 advert.
func handOver(ctx context.Context, c controlAPI, instance string, hold time.Duration) (*takeover, error) {
	st, err := c.Status(ctx)
	if err != nil {
		return nil, err
	}
	in, err := pickMaster(st, instance)
	if err != nil {
		return nil, err
	}
	self := in.MasterAddr
	res, err := c.Failover(ctx, control.FailoverRequest{Instance: in.Name, Hold: control.Duration(hold)})
	if err != nil {
		return nil, err
	}
	tk := &takeover{Instance: in.Name, Self: self, Sent: res.Sent, HoldUntil: res.HoldUntil}
	for {
		st, err := c.Status(ctx)
		if err != nil {
			return tk, err
		}
		if cur := findInstance(st, in.Name); cur != nil {
			switch {
			case cur.State == "MASTER":
				tk.TookBack = true
				return tk, nil
			case cur.MasterAddr.IsValid() && cur.MasterAddr != self && !cur.MasterSince.Before(tk.Sent):
				tk.Peer, tk.Took = cur.MasterAddr, cur.MasterSince.Sub(tk.Sent)
				return tk, nil
			}
		}
		select {
		case <-ctx.Done():
			return tk, nil
		case <-time.After(pollEvery):
		}
	}
}

// pickMaster finds the instance to hand over: the one named, or the only MASTER here.
func pickMaster(st *control.Status, name string) (*control.Instance, error) {
	if name != "" {
		in := findInstance(st, name)
		switch {
		case in == nil:
			return nil, fmt.Errorf("%w: %q (this director has %s)", control.ErrUnknownInstance, name, instanceNames(st))
		case in.State != "MASTER":
			return nil, fmt.Errorf("%s is %s here, not MASTER: run this on the director that holds the VIP", name, in.State)
		}
		return in, nil
	}
	var masters []*control.Instance
	for i := range st.Instances {
		if st.Instances[i].State == "MASTER" {
			masters = append(masters, &st.Instances[i])
		}
	}
	switch len(masters) {
	case 0:
		return nil, errors.New("no instance is MASTER on this director: run this on the director that holds the VIP")
	case 1:
		return masters[0], nil
	}
	return nil, fmt.Errorf("several instances are MASTER here; choose one with --instance (%s)", instanceNames(st))
}

func findInstance(st *control.Status, name string) *control.Instance {
	for i := range st.Instances {
		if st.Instances[i].Name == name {
			return &st.Instances[i]
		}
	}
	return nil
}

func instanceNames(st *control.Status) string {
	s := ""
	for i, in := range st.Instances {
		if i > 0 {
			s += ", "
		}
		s += in.Name + " " + in.State
	}
	if s == "" {
		return "no instances"
	}
	return s
}

// render prints the outcome of a hand-over; it says whether the VIPs moved.
func (tk *takeover) render(w io.Writer, loc *time.Location) bool {
	at := func(t time.Time) string { return t.In(loc).Format("15:04:05.000") }
	fmt.Fprintf(w, "%s: sent priority 0 at %s; this director (%s) is BACKUP until %s\n", tk.Instance, at(tk.Sent), tk.Self, at(tk.HoldUntil))
	switch {
	case tk.Peer.IsValid():
		fmt.Fprintf(w, "%s: %s claimed the VIPs after %s (its first advert as MASTER)\n", tk.Instance, tk.Peer, tk.Took.Round(time.Millisecond))
		return true
	case tk.TookBack:
		fmt.Fprintf(w, "%s: no peer took over; this director took the VIPs back (is the peer running, on the same VRID and authentication?)\n", tk.Instance)
	default:
		fmt.Fprintf(w, "%s: no peer claimed the VIPs in time; check 'halvs status' on both directors\n", tk.Instance)
	}
	return false
}

func runFailover(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("failover", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cfgPath, socket, instance string
	var hold, timeout time.Duration
	fs.StringVar(&cfgPath, "c", "", "read global.control_socket from this config `FILE`")
	fs.StringVar(&cfgPath, "config", "", "same as -c")
	fs.StringVar(&socket, "socket", "", "the control socket `PATH` (default "+config.DefaultControlSocket+")")
	fs.StringVar(&instance, "instance", "", "the vrrp_instance `NAME` (default: the one MASTER here)")
	fs.DurationVar(&hold, "hold", 30*time.Second, "stay BACKUP for `DURATION` before preempting back")
	fs.DurationVar(&timeout, "timeout", 10*time.Second, "give up waiting for the peer after `DURATION`")
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), `Usage: halvs failover [--instance NAME] [--hold 30s] [--timeout 10s] [-c FILE | --socket PATH]

A planned failover, run on the director that is MASTER. It asks the local halvs (over its
control socket, root only) to hand the instance over gracefully: send an advert with
priority 0, so that the peer takes over after Skew_Time instead of the Master_Down_Interval,
release the VIPs, and stay BACKUP for the hold time. It then reports how long the peer took
to claim the VIPs: from our priority-0 advert to the peer's first advert as MASTER (which the
peer sends just before adding the VIPs), both stamped by this director. After the hold the
instance gets its priority back and, unless it has nopreempt, takes the VIPs back.

Flags:
  --instance NAME     the vrrp_instance; default the only instance MASTER here
  --hold D            how long to stay BACKUP (default 30s)
  --timeout D         how long to wait for the peer (default 10s)
  -c, --config FILE   take the socket path from FILE's global.control_socket
  --socket PATH       the control socket (default: /etc/halvs/halvs.hcl's when that file
                      is there, else /run/halvs.sock)

Exit status: 0 the peer claimed the VIPs, 1 it did not (or halvs refused: not MASTER,
unknown instance, busy), 2 usage error.
`)
	}
	if code, done := parseFlags(fs, args, stdout, stderr); done {
		return code
	}
	if code := checkControlFlags("failover", fs, cfgPath, socket, stderr); code != exitOK {
		return code
	}
	if hold <= 0 || timeout <= 0 {
		fmt.Fprintln(stderr, "halvs failover: --hold and --timeout must be positive")
		return exitUsage
	}
	socket, err := socketPath(cfgPath, socket)
	if err != nil {
		fmt.Fprintf(stderr, "halvs failover: %v\n", err)
		return exitFailure
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	tk, err := handOver(ctx, control.NewClient(socket), instance, hold)
	if tk == nil {
		fmt.Fprintf(stderr, "halvs failover: %v\n", err)
		return exitFailure
	}
	moved := tk.render(stdout, time.Local)
	if err != nil {
		fmt.Fprintf(stderr, "halvs failover: %v\n", err)
	}
	if !moved {
		return exitFailure
	}
	return exitOK
}

// checkControlFlags refuses stray arguments and -c with --socket.
func checkControlFlags(cmd string, fs *flag.FlagSet, cfgPath, socket string, stderr io.Writer) int {
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "halvs %s: unexpected argument %q\n", cmd, fs.Arg(0))
		return exitUsage
	}
	if cfgPath != "" && socket != "" {
		fmt.Fprintf(stderr, "halvs %s: give -c FILE or --socket PATH, not both\n", cmd)
		return exitUsage
	}
	return exitOK
}
