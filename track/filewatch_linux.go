package track

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"unsafe"

	"golang.org/x/sys/unix"
)

// FileSpec is one track_file to watch.
type FileSpec struct {
	Name string // the track_file block's name
	Path string
}

// FileWatcher watches track_files the way keepalived does: inotify on each file's
// directory for IN_CLOSE_WRITE, IN_DELETE and IN_MOVE, so a file written and closed, or
// renamed into place, is read again at once; a file deleted or renamed away is 0. Values
// that are not valid (see ReadFile) are logged and ignored.
type FileWatcher struct {
	files  []watchedFile
	report func(name string, value int)
	log    *slog.Logger
	inot   *os.File
	done   chan struct{}

	mu     sync.Mutex
	values map[string]int
}

type watchedFile struct {
	FileSpec
	dir, base string
	wd        int32
}

// WatchFiles reads every file now, reports its value, and then reports each change of it
// until Close. report is called from one goroutine at a time. It fails when inotify cannot be had
// or a file's directory cannot be watched (it does not exist, say).
func WatchFiles(files []FileSpec, log *slog.Logger, report func(name string, value int)) (*FileWatcher, error) {
	if log == nil {
		log = slog.Default()
	}
	fd, err := unix.InotifyInit1(unix.IN_CLOEXEC | unix.IN_NONBLOCK)
	if err != nil {
		return nil, fmt.Errorf("track_file: inotify: %w", err)
	}
	w := &FileWatcher{report: report, log: log, inot: os.NewFile(uintptr(fd), "inotify"),
		done: make(chan struct{}), values: map[string]int{}}
	for _, f := range files {
		path, err := filepath.Abs(f.Path)
		if err != nil {
			w.inot.Close()
			return nil, fmt.Errorf("track_file %q: %w", f.Name, err)
		}
		dir := filepath.Dir(path)
		if real, err := filepath.EvalSymlinks(dir); err == nil {
			dir = real
		}
		wd, err := unix.InotifyAddWatch(fd, dir, unix.IN_CLOSE_WRITE|unix.IN_DELETE|unix.IN_MOVE)
		if err != nil {
			w.inot.Close()
			return nil, fmt.Errorf("track_file %q: watch %s: %w", f.Name, dir, err)
		}
		w.files = append(w.files, watchedFile{FileSpec: f, dir: dir, base: filepath.Base(path), wd: int32(wd)})
	}
	// Watch first, then read: a write between the two is seen either way.
	for _, f := range w.files {
		w.read(f)
	}
	go w.run()
	return w, nil
}

// Close stops the watcher and waits for its goroutine; no report follows it.
func (w *FileWatcher) Close() {
	w.inot.Close()
	<-w.done
}

// Values returns the last value of every file.
func (w *FileWatcher) Values() map[string]int {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := make(map[string]int, len(w.values))
	for k, v := range w.values {
		out[k] = v
	}
	return out
}

func (w *FileWatcher) read(f watchedFile) {
	v, err := ReadFile(filepath.Join(f.dir, f.base))
	if err != nil {
		w.log.Warn("track_file holds an invalid number; ignored", "track_file", f.Name, "file", f.Path, "err", err)
		return
	}
	w.set(f, v)
}

func (w *FileWatcher) set(f watchedFile, v int) {
	w.mu.Lock()
	old, known := w.values[f.Name]
	w.values[f.Name] = v
	w.mu.Unlock()
	if known && old == v {
		return
	}
	w.log.Info("track_file value", "track_file", f.Name, "value", v)
	w.report(f.Name, v)
}

func (w *FileWatcher) run() {
	defer close(w.done)
	buf := make([]byte, 64*(unix.SizeofInotifyEvent+unix.NAME_MAX+1))
	for {
		n, err := w.inot.Read(buf)
		if err != nil {
			if !errors.Is(err, os.ErrClosed) {
				w.log.Error("track_file: inotify read failed; files are no longer watched", "err", err)
			}
			return
		}
		for off := 0; off+unix.SizeofInotifyEvent <= n; {
			ev := (*unix.InotifyEvent)(unsafe.Pointer(&buf[off]))
			nameBytes := buf[off+unix.SizeofInotifyEvent : off+unix.SizeofInotifyEvent+int(ev.Len)]
			off += unix.SizeofInotifyEvent + int(ev.Len)
			if ev.Mask&unix.IN_Q_OVERFLOW != 0 {
				for _, f := range w.files { // events were lost: read everything again
					w.read(f)
				}
				continue
			}
			if ev.Mask&unix.IN_ISDIR != 0 {
				continue
			}
			name := string(nameBytes[:clen(nameBytes)])
			for _, f := range w.files {
				if f.wd != ev.Wd || f.base != name {
					continue
				}
				if ev.Mask&(unix.IN_DELETE|unix.IN_MOVED_FROM) != 0 {
					w.set(f, 0) // keepalived: a file that went away reads 0
				} else {
					w.read(f)
				}
			}
		}
	}
}

func clen(b []byte) int {
	for i, c := range b {
		if c == 0 {
			return i
		}
	}
	return len(b)
}
