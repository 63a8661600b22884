package director

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"sync"

	"github.com/halvs/halvs/vrrp"
)

// stateTap is the io.Writer behind the vrrp Router's notify FIFO. Every instance and sync
// group writes keepalived's notify_fifo line there on each state change
// (`INSTANCE "VI_1" MASTER 150`), in order, from its notify worker. The tap forwards the line
// to the global notify_fifo and to the instance's own notify_fifo, and tells the director
// of the instance's new state (IPVS sync-daemon role, virtual_ipaddress_excluded). It never
// blocks on a reader: the FIFOs are opened non-blocking, as keepalived opens them.
type stateTap struct {
	log     *slog.Logger
	onState func(instance string, s vrrp.State)

	mu     sync.Mutex
	global string              // global notify_fifo path
	byInst map[string]string   // instance → its notify_fifo path
	files  map[string]*os.File // path → open FIFO
}

func newStateTap(log *slog.Logger, onState func(string, vrrp.State)) *stateTap {
	return &stateTap{log: log, onState: onState, byInst: map[string]string{}, files: map[string]*os.File{}}
}

// configure sets the FIFO paths, opening new ones and closing those no longer named. A FIFO
// that cannot be opened is logged and skipped, as keepalived does: notifications still run.
func (t *stateTap) configure(global string, byInst map[string]string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	want := map[string]bool{}
	if global != "" {
		want[global] = true
	}
	for _, p := range byInst {
		want[p] = true
	}
	for p, f := range t.files {
		if !want[p] {
			f.Close()
			delete(t.files, p)
		}
	}
	for p := range want {
		if _, ok := t.files[p]; ok {
			continue
		}
		f, err := vrrp.OpenFIFO(p)
		if err != nil {
			t.log.Error("cannot open notify_fifo", "path", p, "err", err)
			continue
		}
		t.files[p] = f
	}
	t.global, t.byInst = global, byInst
}

// Write takes one line of the vrrp FIFO.
func (t *stateTap) Write(b []byte) (int, error) {
	line := string(b)
	kind, name, state, ok := parseNotifyLine(line)
	t.mu.Lock()
	var dst []io.Writer
	if f := t.files[t.global]; f != nil {
		dst = append(dst, f)
	}
	if p := t.byInst[name]; ok && kind == "INSTANCE" && p != "" && p != t.global {
		if f := t.files[p]; f != nil {
			dst = append(dst, f)
		}
	}
	t.mu.Unlock()
	for _, w := range dst {
		if _, err := io.WriteString(w, line); err != nil {
			// A full pipe loses the line, as with keepalived; say so once per line.
			t.log.Debug("notify_fifo write failed", "err", err)
		}
	}
	if ok && kind == "INSTANCE" && t.onState != nil {
		t.onState(name, state)
	}
	return len(b), nil
}

func (t *stateTap) close() {
	t.mu.Lock()
	defer t.mu.Unlock()
	for p, f := range t.files {
		f.Close()
		delete(t.files, p)
	}
}

// parseNotifyLine reads `KIND "NAME" STATE PRIORITY`, the line vrrp.NotifyLine writes.
func parseNotifyLine(line string) (kind, name string, s vrrp.State, ok bool) {
	var state string
	var prio int
	if _, err := fmt.Sscanf(strings.TrimSpace(line), "%s %q %s %d", &kind, &name, &state, &prio); err != nil {
		return "", "", 0, false
	}
	for _, st := range []vrrp.State{vrrp.StateInit, vrrp.StateBackup, vrrp.StateMaster, vrrp.StateFault, vrrp.StateStop} {
		if st.String() == state {
			return kind, name, st, true
		}
	}
	return "", "", 0, false
}
