package sdnotify

import (
	"fmt"
	"strings"
	"time"

	"github.com/coreos/go-systemd/v22/daemon"
	"golang.org/x/sys/unix"
)

// Notifier sends state messages to the service manager. The zero value is ready to use. Its
// methods are safe for concurrent use (each is one datagram).
type Notifier struct {
	// now returns CLOCK_MONOTONIC in microseconds, which RELOADING=1 must carry; tests
	// replace it.
	now func() uint64
}

// New returns a Notifier for the NOTIFY_SOCKET systemd gave this process.
func New() *Notifier { return &Notifier{} }

// Ready reports that startup (or a reload) has finished; status is shown by systemctl.
func (n *Notifier) Ready(status string) error {
	return n.send([]string{daemon.SdNotifyReady}, status)
}

// Reloading reports that a reload has begun; call Ready when it ends, whatever the outcome.
// systemd (Type=notify-reload, and ExecReload waiting) needs the monotonic timestamp to tell
// this reload from an earlier one.
func (n *Notifier) Reloading(status string) error {
	return n.send([]string{daemon.SdNotifyReloading, fmt.Sprintf("MONOTONIC_USEC=%d", n.monotonic())}, status)
}

// Stopping reports that shutdown has begun (VIPs being released).
func (n *Notifier) Stopping(status string) error {
	return n.send([]string{daemon.SdNotifyStopping}, status)
}

// Status updates the one-line status alone.
func (n *Notifier) Status(status string) error { return n.send(nil, status) }

// send sends the assignments and, when status is not empty, STATUS=status as one datagram
// (each line is one assignment, so newlines in status are flattened).
func (n *Notifier) send(assignments []string, status string) error {
	lines := assignments
	if status != "" {
		lines = append(lines, "STATUS="+strings.ReplaceAll(status, "\n", " "))
	}
	if len(lines) == 0 {
		return nil
	}
	// false: keep NOTIFY_SOCKET set, since READY, RELOADING and STOPPING all come later.
	_, err := daemon.SdNotify(false, strings.Join(lines, "\n"))
	return err
}

func (n *Notifier) monotonic() uint64 {
	if n.now != nil {
		return n.now()
	}
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts); err != nil {
		return 0
	}
	return uint64(time.Duration(ts.Nano()) / time.Microsecond)
}
