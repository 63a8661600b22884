package script

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
)

// SafePath is the whole environment a program gets (PATH=SafePath) and where a bare program
// name is looked up: the daemon's own environment (its PATH, credentials a unit file passed
// in, proxy settings) never reaches an operator's script.
const SafePath = "/usr/sbin:/usr/bin:/sbin:/bin"

// ErrInsecure is wrapped by the error of a run that enable_script_security refused (see
// Guard), and by Guard.Pin's.
var ErrInsecure = errors.New("script: insecure")

// Env is the environment every program starts with.
func Env() []string { return []string{"PATH=" + SafePath} }

// LookPath returns prog when it holds a slash, else the first executable regular file of that
// name in SafePath's directories.
func LookPath(prog string) (string, error) {
	if strings.Contains(prog, "/") {
		return prog, nil
	}
	for _, dir := range filepath.SplitList(SafePath) {
		p := filepath.Join(dir, prog)
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0 {
			return p, nil
		}
	}
	return "", fmt.Errorf("%s: not found in %s", prog, SafePath)
}

// Resolve returns the file prog runs: a bare name found in SafePath, every symbolic link
// resolved, made absolute, as keepalived's realpath does before it checks a script.
func Resolve(prog string) (string, error) {
	p, err := LookPath(prog)
	if err != nil {
		return "", err
	}
	real, err := filepath.EvalSymlinks(p)
	if err != nil {
		return "", err
	}
	return filepath.Abs(real)
}

// SetIDRoot reports whether an executable gains root's user or group ID when run.
func SetIDRoot(fi fs.FileInfo) bool {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return false
	}
	m := fi.Mode()
	return st.Uid == 0 && m&fs.ModeSetuid != 0 && m&0o100 != 0 ||
		st.Gid == 0 && m&fs.ModeSetgid != 0 && m&0o010 != 0
}

// Unsafe walks path (already resolved: no element may be a symbolic link) from "/" as
// keepalived's check_script_secure does and returns the first element a non-root user could
// change, with the reason, or "", "". Every element must be owned by root and not writable by
// a non-root group or by everyone; a directory with the sticky bit (/tmp) may be, since there
// nobody but root can rename or remove root's entries.
func Unsafe(path string) (elem, why string) {
	elems, cur := []string{"/"}, "/"
	for _, part := range strings.Split(strings.Trim(path, "/"), "/") {
		cur = filepath.Join(cur, part)
		elems = append(elems, cur)
	}
	for _, e := range elems {
		fi, err := os.Lstat(e)
		if err != nil {
			return e, fmt.Sprintf("cannot be read (%v)", err)
		}
		st, ok := fi.Sys().(*syscall.Stat_t)
		if !ok {
			return e, "has no owner to check"
		}
		m := fi.Mode()
		if m&fs.ModeSymlink != 0 {
			return e, "is a symbolic link"
		}
		if st.Uid != 0 {
			return e, fmt.Sprintf("is owned by user ID %d, not root", st.Uid)
		}
		guarded := m.IsDir() && m&fs.ModeSticky == 0 || m.IsRegular()
		if guarded && st.Gid != 0 && m&0o020 != 0 {
			return e, fmt.Sprintf("is writable by group ID %d", st.Gid)
		}
		if guarded && m&0o002 != 0 {
			return e, "is writable by everyone"
		}
	}
	return "", ""
}

// Guard is enable_script_security at run time. Pin vets a program when the configuration is
// loaded and remembers the file it resolved to; a run as root (or of a set-ID-root file)
// through the Guard then executes that resolved file, and only if the program still resolves
// to it, it is still the same file (device and inode) and every directory of its path is
// still safe. Otherwise the run is refused and counted: whoever owns a directory on the
// configured path could otherwise swap a symbolic link after the check and have root run
// their program. Between the last check and the exec only root can change a path whose every
// element is root-owned and not writable by others, so checking the path and then executing
// it by name is as safe as executing the checked file itself. A Guard is safe for concurrent
// use.
type Guard struct {
	mu      sync.Mutex
	pins    map[string]pinned // by program as configured (argv[0])
	refused atomic.Uint64
}

type pinned struct {
	path     string
	dev, ino uint64
}

// NewGuard returns a Guard with nothing pinned.
func NewGuard() *Guard { return &Guard{pins: map[string]pinned{}} }

// Pin vets prog now and, if it is safe, pins it to the file it resolves to. The error says
// why not (it wraps ErrInsecure for an unsafe path). A program that cannot be pinned here
// (missing, or meant to run as another user) is vetted again when it first runs as root.
func (g *Guard) Pin(prog string) error {
	p, err := vet(prog)
	if err != nil {
		return err
	}
	g.mu.Lock()
	g.pins[prog] = p
	g.mu.Unlock()
	return nil
}

// Refused returns how many runs the Guard refused.
func (g *Guard) Refused() uint64 { return g.refused.Load() }

// admit returns the file to execute for prog: the resolved path, after the checks above when
// the run has root's privileges.
func (g *Guard) admit(prog string, asRoot bool) (string, error) {
	path, err := Resolve(prog)
	if err != nil {
		return "", err
	}
	fi, err := os.Stat(path)
	if err != nil {
		return "", err
	}
	if !asRoot && !SetIDRoot(fi) {
		return path, nil
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	want, ok := g.pins[prog]
	if !ok {
		// Not there (or not safe) at load: vetted now, and held to this file from now on.
		if want, err = vet(prog); err != nil {
			g.refused.Add(1)
			return "", err
		}
		g.pins[prog] = want
	}
	got, err := vet(prog)
	switch {
	case err != nil:
	case got.path != want.path:
		err = fmt.Errorf("%w: %s now leads to %s, not to the %s checked at load", ErrInsecure, prog, got.path, want.path)
	case got.dev != want.dev || got.ino != want.ino:
		err = fmt.Errorf("%w: %s was replaced since it was checked at load", ErrInsecure, got.path)
	}
	if err != nil {
		g.refused.Add(1)
		return "", fmt.Errorf("enable_script_security refused to run %s: %w", prog, err)
	}
	return got.path, nil
}

// vet resolves prog and checks its path; it returns the file it resolved to.
func vet(prog string) (pinned, error) {
	path, err := Resolve(prog)
	if err != nil {
		return pinned{}, fmt.Errorf("%w: %v", ErrInsecure, err)
	}
	if elem, why := Unsafe(path); elem != "" {
		return pinned{}, fmt.Errorf("%w: %s (for %s) %s", ErrInsecure, elem, prog, why)
	}
	var st syscall.Stat_t
	if err := syscall.Stat(path, &st); err != nil {
		return pinned{}, fmt.Errorf("%w: %s: %v", ErrInsecure, path, err)
	}
	return pinned{path: path, dev: uint64(st.Dev), ino: st.Ino}, nil
}
