package director

import (
	"io"
	"log/slog"
	"maps"
	"os"
	"sync"

	"github.com/halvs/halvs/vrrp"
)

// notifyFIFOs writes keepalived's notify_fifo lines (`INSTANCE "VI_1" MASTER 150`,
// `GROUP "VG_1" BACKUP 0`): every state change to the global notify_fifo, an instance's
// also to its own notify_fifo. It never blocks on a reader: the FIFOs are opened
// non-blocking, as keepalived opens them, and a full pipe loses the line.
type notifyFIFOs struct {
	log *slog.Logger

	mu     sync.Mutex
	global string              // global notify_fifo path
	lvs    string              // global lvs_notify_fifo path (lvsfifo.go)
	byInst map[string]string   // instance → its notify_fifo path
	files  map[string]*os.File // path → open FIFO
}

func newNotifyFIFOs(log *slog.Logger) *notifyFIFOs {
	return &notifyFIFOs{log: log, byInst: map[string]string{}, files: map[string]*os.File{}}
}

// configure sets the FIFO paths, opening new ones and closing those no longer named. A FIFO
// that cannot be opened is logged and skipped, as keepalived does: notifications still run.
func (f *notifyFIFOs) configure(global string, byInst map[string]string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	want := map[string]bool{}
	if global != "" {
		want[global] = true
	}
	if f.lvs != "" {
		want[f.lvs] = true
	}
	for _, p := range byInst {
		want[p] = true
	}
	for p, file := range f.files {
		if !want[p] {
			file.Close()
			delete(f.files, p)
		}
	}
	for p := range want {
		if _, ok := f.files[p]; ok {
			continue
		}
		file, err := vrrp.OpenFIFO(p)
		if err != nil {
			f.log.Error("cannot open notify_fifo", "path", p, "err", err)
			continue
		}
		f.files[p] = file
	}
	f.global, f.byInst = global, byInst
}

// write writes c's line to the FIFOs it belongs to. A write to a non-blocking pipe does not
// wait, so this is safe on the path of vrrp's OnStateChange.
func (f *notifyFIFOs) write(c vrrp.StateChange) {
	line := c.FIFOLine()
	f.mu.Lock()
	defer f.mu.Unlock()
	var dst []io.Writer
	if file := f.files[f.global]; file != nil {
		dst = append(dst, file)
	}
	if p := f.byInst[c.Name]; !c.SyncGroup && p != "" && p != f.global {
		if file := f.files[p]; file != nil {
			dst = append(dst, file)
		}
	}
	for _, w := range dst {
		if _, err := io.WriteString(w, line); err != nil {
			f.log.Debug("notify_fifo write failed; line lost", "err", err)
		}
	}
}

func (f *notifyFIFOs) close() {
	f.mu.Lock()
	defer f.mu.Unlock()
	for p, file := range f.files {
		file.Close()
		delete(f.files, p)
	}
}

// unionFIFOs returns the per-instance FIFOs of both maps, next's path where an instance is
// in both: the set a reload writes to while old instances stop and new ones start.
func unionFIFOs(old, next map[string]string) map[string]string {
	u := make(map[string]string, len(old)+len(next))
	maps.Copy(u, old)
	maps.Copy(u, next)
	return u
}
