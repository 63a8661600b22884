package director

import (
	"fmt"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/halvs/halvs/lvs"
)

// fifoReader collects what is written to a named pipe it creates at path.
type fifoReader struct {
	mu  sync.Mutex
	buf strings.Builder
}

func readFIFO(t *testing.T, path string) *fifoReader {
	t.Helper()
	if err := syscall.Mkfifo(path, 0o600); err != nil {
		t.Fatal(err)
	}
	// Read-write, so that the pipe always has a writer and Read waits for data instead of
	// returning end-of-file before the director opens it and after it closes it.
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	r := &fifoReader{}
	go func() {
		b := make([]byte, 4096)
		for {
			n, err := f.Read(b)
			r.mu.Lock()
			r.buf.Write(b[:n])
			r.mu.Unlock()
			if err != nil {
				return // closed by the cleanup
			}
		}
	}()
	t.Cleanup(func() { f.Close() })
	return r
}

// linesOf returns the lines of text about instance name, in order.
func linesOf(text, name string) string {
	var out strings.Builder
	for _, l := range strings.SplitAfter(text, "\n") {
		if strings.HasPrefix(l, "INSTANCE \""+name+"\" ") {
			out.WriteString(l)
		}
	}
	return out.String()
}

// waitFor waits until every one of lines has been read, or fails t; what was read is
// compared afterwards by the caller.
func (r *fifoReader) waitFor(t *testing.T, lines ...string) {
	t.Helper()
	eventually(t, fmt.Sprintf("%q in the FIFO", lines), func() bool {
		text := r.text()
		for _, l := range lines {
			if !strings.Contains(text, l) {
				return false
			}
		}
		return true
	})
}

func (r *fifoReader) text() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.buf.String()
}

// TestStateChangesDriveFIFOsAndSyncDaemon: the notify_fifo lines go to the global FIFO and
// to the instance's own, and the IPVS sync daemon follows its instance to MASTER while that
// instance's notify_backup script, from the state before, is still running.
func TestStateChangesDriveFIFOsAndSyncDaemon(t *testing.T) {
	dir := t.TempDir()
	global, own, gate := readFIFO(t, dir+"/global"), readFIFO(t, dir+"/vi1"), dir+"/gate"
	if err := syscall.Mkfifo(gate, 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := `
global {
  notify_fifo = "` + dir + `/global"
  lvs_sync_daemon {
    interface = "eth0"
    instance  = "VI_1"
  }
}
vrrp_instance "VI_1" {
  interface         = "eth0"
  virtual_router_id = 51
  advert_int        = "100ms"
  version           = 3
  virtual_ipaddress = ["10.0.0.1/32"]
  notify_fifo       = "` + dir + `/vi1"
  notify_backup     = "/bin/cat ` + gate + `"
}
` + owner("VI_2", 52, "10.0.0.2/32", "")
	k := newKernel()
	d, err := New(parse(t, cfg), k.options(t))
	if err != nil {
		t.Fatal(err)
	}
	stop := running(t, d)
	// notify_backup blocks reading the gate until a writer opens and closes it.
	release := func() {
		if f, err := os.OpenFile(gate, os.O_WRONLY|syscall.O_NONBLOCK, 0); err == nil {
			f.Close()
		}
	}
	t.Cleanup(release)

	k.clock.until(t, "sync daemon master while notify_backup runs", func() bool {
		ds, _ := k.ipvs.SyncDaemons()
		return len(ds) == 1 && ds[0].Role == lvs.SyncMaster
	})
	eventually(t, "MASTER lines", func() bool {
		g := global.text()
		return linesOf(g, "VI_1") == "INSTANCE \"VI_1\" BACKUP 100\nINSTANCE \"VI_1\" MASTER 100\n" &&
			linesOf(g, "VI_2") == "INSTANCE \"VI_2\" MASTER 255\n" &&
			own.text() == "INSTANCE \"VI_1\" BACKUP 100\nINSTANCE \"VI_1\" MASTER 100\n"
	})
	eventually(t, "notify_backup started, then released", func() bool {
		// cat holds the gate open for reading: a non-blocking writer can open it, and
		// closing it ends cat. Until here the script could not have finished.
		f, err := os.OpenFile(gate, os.O_WRONLY|syscall.O_NONBLOCK, 0)
		if err == nil {
			f.Close()
		}
		return err == nil
	})
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	// The STOP lines are in the pipes once Run returns, but the readers copy them out
	// asynchronously: wait for the last line expected in each before comparing.
	wantOwn := "INSTANCE \"VI_1\" BACKUP 100\nINSTANCE \"VI_1\" MASTER 100\nINSTANCE \"VI_1\" STOP 100\n"
	own.waitFor(t, "INSTANCE \"VI_1\" STOP 100\n")
	global.waitFor(t, "INSTANCE \"VI_1\" STOP 100\n", "INSTANCE \"VI_2\" STOP 255\n")
	if got := own.text(); got != wantOwn {
		t.Errorf("VI_1's notify_fifo:\n%q, want\n%q", got, wantOwn)
	}
	g := global.text()
	if got := linesOf(g, "VI_1"); got != own.text() {
		t.Errorf("VI_1's lines in the global notify_fifo %q, want those of its own", got)
	}
	if got, want := linesOf(g, "VI_2"), "INSTANCE \"VI_2\" MASTER 255\nINSTANCE \"VI_2\" STOP 255\n"; got != want {
		t.Errorf("VI_2's lines in the global notify_fifo %q, want %q", got, want)
	}
}
