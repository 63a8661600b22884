package healthcheck

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"time"
)

// Checker runs one probe. Check must honour ctx and its own timeouts, must not block longer than
// them, and may be called again only after the previous call returned (the scheduler never
// overlaps runs of one checker).
type Checker interface {
	Check(ctx context.Context) Result
	// String names the probe for logs and status: "tcp_check 10.0.0.1:80".
	String() string
}

// Result is one probe's outcome.
type Result struct {
	OK      bool
	Err     error // why the probe failed; nil when OK
	Latency time.Duration
	// DynamicWeight, from misc_dynamic (exit code − 2), replaces the real server's configured
	// weight while the checker is up. Nil leaves the configured weight.
	DynamicWeight *int
	// WeightOffset, from file_check with a weight, is added to the real server's weight.
	WeightOffset int
}

// Kind names a checker kind with keepalived's keyword.
type Kind string

// The checker kinds, spelled as keepalived's configuration blocks.
const (
	KindTCP  Kind = "TCP_CHECK"
	KindHTTP Kind = "HTTP_GET"
	KindSSL  Kind = "SSL_GET"
	KindMisc Kind = "MISC_CHECK"
	KindUDP  Kind = "UDP_CHECK"
	KindDNS  Kind = "DNS_CHECK"
	KindPing Kind = "PING_CHECK"
	KindFile Kind = "FILE_CHECK"
	KindSMTP Kind = "SMTP_CHECK"
)

// Spec is one checker block with its parameters. Each kind has its own spec type (TCPSpec,
// HTTPSpec, MiscSpec, UDPSpec, DNSSpec, PingSpec, FileSpec, SMTPSpec); zero-valued parameters take
// keepalived's defaults. The set is closed: the scheduler needs each kind's identity.
type Spec interface {
	Kind() Kind
	// resolve fills defaults that depend on the real server (connect_ip/connect_port) and the
	// timing (misc_timeout), validates, and returns the complete spec: two resolved specs that
	// print alike are the same probe.
	resolve(env resolveEnv) (Spec, error)
	// newChecker builds the checker of a resolved spec.
	newChecker() (Checker, error)
}

// resolveEnv is what a spec inherits from its surroundings.
type resolveEnv struct {
	RealServer netip.AddrPort
	Timing     Timing
}

// NewChecker builds the checker for spec probing real server rs, whose address and port stand in
// for connect_ip and connect_port when the spec leaves them unset. timing supplies defaults that
// keepalived takes from the loop (misc_timeout defaults to delay_loop).
func NewChecker(spec Spec, rs netip.AddrPort, timing Timing) (Checker, error) {
	r, err := spec.resolve(resolveEnv{RealServer: rs, Timing: timing})
	if err != nil {
		return nil, err
	}
	return r.newChecker()
}

// probeKey identifies a resolved probe and its timing: real servers whose checks have the same
// key share one probe.
func probeKey(resolved Spec, t Timing) string {
	if k, ok := resolved.(interface{ key() string }); ok {
		return fmt.Sprintf("%s %s %+v", resolved.Kind(), k.key(), t)
	}
	return fmt.Sprintf("%s %+v %+v", resolved.Kind(), resolved, t)
}

// Timing is keepalived's per-checker scheduling: delay_loop, retry, delay_before_retry, warmup
// and alpha, and log_all_failures (which of its results are logged). Start from DefaultTiming(kind) and override what the configuration sets.
type Timing struct {
	DelayLoop        time.Duration // time between checks
	Retry            int           // failures tolerated before down (down after Retry+1)
	DelayBeforeRetry time.Duration // time between a failure and its retry
	Warmup           time.Duration // first check at a random offset in [0, Warmup)
	Alpha            bool          // start down until the first success
	// LogAllFailures logs every failed check while the checker is up (or has not run), the
	// retries too (log_all_failures); otherwise a failure shows in the log only when it takes
	// the real server down.
	LogAllFailures bool
}

// keepalived's defaults (check_api.c, check_data.c, check_http.c, check_misc.c, check_dns.c).
const (
	DefaultDelayLoop        = 60 * time.Second
	DefaultDelayBeforeRetry = time.Second
	DefaultConnectTimeout   = 5 * time.Second
)

// DefaultTiming returns keepalived's timing for a checker kind at the default delay_loop: retry 1
// (MISC_CHECK 0, DNS_CHECK 3), delay_before_retry 1 s (HTTP_GET/SSL_GET 3 s, DNS_CHECK
// delay_loop), warmup = delay_loop. FILE_CHECK is event driven in keepalived (inotify); halvs
// polls it every second with no retry.
func DefaultTiming(k Kind) Timing {
	return TimingFor(k, DefaultDelayLoop)
}

// TimingFor is DefaultTiming for a configured delay_loop: the defaults derived from it
// (warmup, DNS_CHECK's delay_before_retry) follow it.
func TimingFor(k Kind, delayLoop time.Duration) Timing {
	t := Timing{DelayLoop: delayLoop, Retry: 1, DelayBeforeRetry: DefaultDelayBeforeRetry, Warmup: delayLoop}
	switch k {
	case KindHTTP, KindSSL:
		t.DelayBeforeRetry = 3 * time.Second
	case KindMisc:
		t.Retry = 0
	case KindDNS:
		t.Retry = 3
		t.DelayBeforeRetry = delayLoop
	case KindFile:
		t = Timing{DelayLoop: time.Second}
	}
	return t
}

// Validate reports timing that cannot be scheduled.
func (t Timing) Validate() error {
	switch {
	case t.DelayLoop <= 0:
		return errors.New("delay_loop must be positive")
	case t.Retry < 0:
		return errors.New("retry must not be negative")
	case t.DelayBeforeRetry < 0:
		return errors.New("delay_before_retry must not be negative")
	case t.Warmup < 0:
		return errors.New("warmup must not be negative")
	}
	return nil
}

// DetectionBound is the longest a working-then-dead real server can stay up under this timing
// with a checker whose probe takes at most probeTimeout: one delay_loop to the next check, then
// Retry retries each delay_before_retry apart, each probe taking up to probeTimeout.
func (t Timing) DetectionBound(probeTimeout time.Duration) time.Duration {
	return t.DelayLoop + time.Duration(t.Retry)*t.DelayBeforeRetry + time.Duration(t.Retry+1)*probeTimeout
}
