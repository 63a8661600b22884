package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"github.com/halvs/halvs/config"
	"github.com/halvs/halvs/control"
)

func init() {
	register(&command{name: "drill", summary: "failover drill: probe the VIP, hand over, time the takeover and the way back", order: 41, run: runDrill})
}

// probe is one request to the VIP.
type probe struct {
	At  time.Time
	OK  bool
	Err string
}

// prober sends a request to the VIP every interval until stopped: a TCP connect, or an HTTP
// GET when path is set (any status counts: the server answered).
type prober struct {
	target   netip.AddrPort
	path     string
	interval time.Duration
	timeout  time.Duration

	mu     sync.Mutex
	probes []probe
}

func (p *prober) run(ctx context.Context) {
	var wg sync.WaitGroup
	t := time.NewTicker(p.interval)
	defer t.Stop()
	for {
		wg.Add(1)
		go func(at time.Time) {
			defer wg.Done()
			err := p.one(at)
			pr := probe{At: at, OK: err == nil}
			if err != nil {
				pr.Err = err.Error()
			}
			p.mu.Lock()
			p.probes = append(p.probes, pr)
			p.mu.Unlock()
		}(time.Now())
		select {
		case <-ctx.Done():
			wg.Wait()
			return
		case <-t.C:
		}
	}
}

func (p *prober) one(at time.Time) error {
	ctx, cancel := context.WithDeadline(context.Background(), at.Add(p.timeout))
	defer cancel()
	if p.path == "" {
		var d net.Dialer
		c, err := d.DialContext(ctx, "tcp", p.target.String())
		if err != nil {
			return err
		}
		return c.Close()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+p.target.String()+p.path, nil)
	if err != nil {
		return err
	}
	tr := &http.Transport{DisableKeepAlives: true} // every probe a new connection, as new clients are
	defer tr.CloseIdleConnections()
	resp, err := (&http.Client{Transport: tr}).Do(req)
	if err != nil {
		return err
	}
	io.Copy(io.Discard, resp.Body)
	return resp.Body.Close()
}

func (p *prober) results() []probe {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := append([]probe(nil), p.probes...)
	// Probes finish out of order; the report reads them in the order they were sent.
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && out[j].At.Before(out[j-1].At); j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}

// drillReport is what a drill measured.
type drillReport struct {
	Target    netip.AddrPort
	Method    string // "TCP connect" or "HTTP GET /path"
	Takeover  *takeover
	Back      bool          // the original master took the VIPs back
	BackAfter time.Duration // from the end of the hold to its transition to MASTER
	Probes    int
	Failed    int
	Outage    time.Duration // longest run of failed probes, first failure to next success
	FirstErr  string
	MaxOutage time.Duration
}

// summarise counts failures and the longest outage.
func summarise(probes []probe) (failed int, outage time.Duration, firstErr string) {
	var start time.Time
	for _, p := range probes {
		if !p.OK {
			failed++
			if firstErr == "" {
				firstErr = p.Err
			}
			if start.IsZero() {
				start = p.At
			}
			continue
		}
		if !start.IsZero() {
			outage = max(outage, p.At.Sub(start))
			start = time.Time{}
		}
	}
	if !start.IsZero() && len(probes) > 0 {
		outage = max(outage, probes[len(probes)-1].At.Sub(start))
	}
	return failed, outage, firstErr
}

// passed says whether the drill succeeded: the peer claimed the VIPs and no outage was
// longer than allowed.
func (r *drillReport) passed() bool {
	return r.Takeover != nil && r.Takeover.Peer.IsValid() && r.Outage <= r.MaxOutage
}

func (r *drillReport) render(w io.Writer) {
	fmt.Fprintf(w, "\nDrill report: %s, probing %s by %s\n", r.Takeover.Instance, r.Target, r.Method)
	if tk := r.Takeover; tk.Peer.IsValid() {
		fmt.Fprintf(w, "  takeover   %s by %s (priority 0 sent to its first advert as MASTER)\n", tk.Took.Round(time.Millisecond), tk.Peer)
	} else {
		fmt.Fprintln(w, "  takeover   NONE: no peer claimed the VIPs")
	}
	fmt.Fprintf(w, "  requests   %d sent, %d failed", r.Probes, r.Failed)
	if r.Failed > 0 {
		fmt.Fprintf(w, " (first error: %s)", r.FirstErr)
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "  outage     %s longest run of failed requests (allowed %s)\n", r.Outage.Round(time.Millisecond), r.MaxOutage)
	if r.Back {
		fmt.Fprintf(w, "  time back  %s after the hold ended (%s took the VIPs back)\n", r.BackAfter.Round(time.Millisecond), r.Takeover.Self)
	} else {
		fmt.Fprintln(w, "  time back  not taken back before the drill ended (nopreempt, or --duration too short)")
	}
	verdict := "PASSED"
	if !r.passed() {
		verdict = "FAILED"
	}
	fmt.Fprintf(w, "  result     %s\n", verdict)
}

// waitBack waits for instance to be MASTER again after the hold and returns how long after
// the hold's end it took over.
func waitBack(ctx context.Context, c controlAPI, tk *takeover) (bool, time.Duration, error) {
	for {
		st, err := c.Status(ctx)
		if err != nil {
			return false, 0, err
		}
		if in := findInstance(st, tk.Instance); in != nil && in.State == "MASTER" && !in.Since.Before(tk.Sent) {
			return true, in.Since.Sub(tk.HoldUntil), nil
		}
		select {
		case <-ctx.Done():
			return false, 0, nil
		case <-time.After(pollEvery):
		}
	}
}

func runDrill(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("drill", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cfgPath, socket, instance, vip, path string
	var port, rps int
	var hold, duration, maxOutage time.Duration
	fs.StringVar(&cfgPath, "c", "", "read global.control_socket from this config `FILE`")
	fs.StringVar(&cfgPath, "config", "", "same as -c")
	fs.StringVar(&socket, "socket", "", "the control socket `PATH` (default "+config.DefaultControlSocket+")")
	fs.StringVar(&instance, "instance", "", "the vrrp_instance `NAME` (default: the one MASTER here)")
	fs.StringVar(&vip, "vip", "", "the `ADDR` to probe (default: the instance's first VIP)")
	fs.IntVar(&port, "port", 80, "the `PORT` to probe")
	fs.StringVar(&path, "http", "", "probe with HTTP GET of `PATH` (e.g. /) instead of a TCP connect")
	fs.IntVar(&rps, "requests-per-second", 20, "probe `N` times a second")
	fs.DurationVar(&hold, "hold", 10*time.Second, "how long this director stays BACKUP")
	fs.DurationVar(&duration, "duration", 0, "end the drill after `DURATION` (default hold + 20s)")
	fs.DurationVar(&maxOutage, "max-outage", 3*time.Second, "fail the drill if requests fail for longer than `DURATION` in a row")
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), `Usage: halvs drill [--instance NAME] [--vip ADDR] [--port 80] [--http PATH]
                  [--requests-per-second 20] [--hold 10s] [--duration D] [--max-outage 3s]
                  [-c FILE | --socket PATH]

A whole failover drill against a running pair, run on the director that is MASTER:
  1. probes the VIP (a TCP connect, or an HTTP GET with --http) N times a second, each
     probe a new connection, for the whole drill;
  2. hands the instance over as 'halvs failover' does and times the peer's takeover;
  3. waits for this director to take the VIPs back after the hold (time back);
  4. prints a report: takeover time, requests sent and failed, the longest outage, time back.
The probes leave this host like a client's would once the VIP has moved to the peer, so
the service port must answer on both directors (or behind them).

Flags:
  --instance NAME            the vrrp_instance (default the only one MASTER here)
  --vip ADDR, --port PORT    what to probe (default the instance's first VIP, port 80)
  --http PATH                HTTP GET PATH instead of a TCP connect
  --requests-per-second N    probe rate (default 20)
  --hold D                   how long this director stays BACKUP (default 10s)
  --duration D               the longest the drill may run (default hold + 20s)
  --max-outage D             the longest run of failed requests that still passes (default 3s)
  -c, --config FILE          take the socket path from FILE's global.control_socket
  --socket PATH              the control socket (default: /etc/halvs/halvs.hcl's when that
                             file is there, else /run/halvs.sock)

Exit status: 0 the drill passed, 1 it failed (no peer claimed the VIPs, or an outage longer
than --max-outage) or halvs refused, 2 usage error.
`)
	}
	if code, done := parseFlags(fs, args, stdout, stderr); done {
		return code
	}
	if code := checkControlFlags("drill", fs, cfgPath, socket, stderr); code != exitOK {
		return code
	}
	switch {
	case rps <= 0 || rps > 1000:
		fmt.Fprintln(stderr, "halvs drill: --requests-per-second must be 1 to 1000")
		return exitUsage
	case port <= 0 || port > 65535:
		fmt.Fprintln(stderr, "halvs drill: --port must be 1 to 65535")
		return exitUsage
	case hold <= 0 || maxOutage < 0 || duration < 0:
		fmt.Fprintln(stderr, "halvs drill: --hold must be positive, --duration and --max-outage not negative")
		return exitUsage
	case path != "" && path[0] != '/':
		fmt.Fprintln(stderr, "halvs drill: --http PATH must start with /")
		return exitUsage
	}
	var addr netip.Addr
	if vip != "" {
		var err error
		if addr, err = netip.ParseAddr(vip); err != nil {
			fmt.Fprintf(stderr, "halvs drill: --vip %q is not an IP address\n", vip)
			return exitUsage
		}
	}
	if duration == 0 {
		duration = hold + 20*time.Second
	}
	socket, err := socketPath(cfgPath, socket)
	if err != nil {
		fmt.Fprintf(stderr, "halvs drill: %v\n", err)
		return exitFailure
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, duration)
	defer cancel()
	rep, err := drill(ctx, control.NewClient(socket), drillOptions{instance: instance, vip: addr, port: uint16(port),
		path: path, rps: rps, hold: hold, maxOutage: maxOutage}, stdout)
	if err != nil {
		fmt.Fprintf(stderr, "halvs drill: %v\n", err)
	}
	if rep == nil {
		return exitFailure
	}
	rep.render(stdout)
	if !rep.passed() {
		return exitFailure
	}
	return exitOK
}

type drillOptions struct {
	instance  string
	vip       netip.Addr
	port      uint16
	path      string
	rps       int
	hold      time.Duration
	maxOutage time.Duration
}

// drill runs the steps of runDrill's usage; it narrates each on w.
func drill(ctx context.Context, c controlAPI, o drillOptions, w io.Writer) (*drillReport, error) {
	st, err := c.Status(ctx)
	if err != nil {
		return nil, err
	}
	in, err := pickMaster(st, o.instance)
	if err != nil {
		return nil, err
	}
	if !o.vip.IsValid() {
		if len(in.VIPs) == 0 {
			return nil, fmt.Errorf("%s has no VIP; give --vip", in.Name)
		}
		o.vip = in.VIPs[0].Addr()
	}
	interval := time.Second / time.Duration(o.rps)
	p := &prober{target: netip.AddrPortFrom(o.vip, o.port), path: o.path, interval: interval, timeout: min(time.Second, max(interval, 200*time.Millisecond))}
	rep := &drillReport{Target: p.target, Method: "TCP connect", MaxOutage: o.maxOutage}
	if o.path != "" {
		rep.Method = "HTTP GET " + o.path
	}
	pctx, stopProbes := context.WithCancel(context.Background())
	probed := make(chan struct{})
	go func() { p.run(pctx); close(probed) }()
	finish := func() {
		stopProbes()
		<-probed
		rep.Probes = len(p.results())
		rep.Failed, rep.Outage, rep.FirstErr = summarise(p.results())
	}

	fmt.Fprintf(w, "probing %s (%s, %d/s); %s is MASTER here\n", rep.Target, rep.Method, o.rps, in.Name)
	settle := time.NewTimer(time.Second) // a baseline before the hand-over
	select {
	case <-ctx.Done():
		settle.Stop()
		finish()
		return nil, ctx.Err()
	case <-settle.C:
	}
	tk, err := handOver(ctx, c, in.Name, o.hold)
	rep.Takeover = tk
	if tk == nil {
		finish()
		return nil, err
	}
	tk.render(w, time.Local)
	if err == nil && tk.Peer.IsValid() {
		fmt.Fprintf(w, "waiting for %s to take the VIPs back after the hold (%s)\n", tk.Instance, time.Until(tk.HoldUntil).Round(time.Second))
		rep.Back, rep.BackAfter, err = waitBack(ctx, c, tk)
		if rep.Back {
			// Keep probing a moment: the way back can lose requests too.
			t := time.NewTimer(time.Second)
			select {
			case <-ctx.Done():
			case <-t.C:
			}
			t.Stop()
		}
	}
	finish()
	return rep, err
}
