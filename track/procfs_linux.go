package track

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// ProcFS reads processes from a proc file system mounted at Root ("/proc" when empty).
type ProcFS struct{ Root string }

func (p ProcFS) root() string {
	if p.Root == "" {
		return "/proc"
	}
	return p.Root
}

// Scan returns every process but zombies (keepalived counts only running ones).
func (p ProcFS) Scan() (map[int]Proc, error) {
	ents, err := os.ReadDir(p.root())
	if err != nil {
		return nil, err
	}
	out := map[int]Proc{}
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid <= 0 || !e.IsDir() {
			continue
		}
		if proc, err := p.Read(pid); err == nil {
			out[pid] = proc
		}
	}
	return out, nil
}

// Read returns one process's name and command line; an error when it is gone or a zombie.
func (p ProcFS) Read(pid int) (Proc, error) {
	dir := filepath.Join(p.root(), strconv.Itoa(pid))
	stat, err := os.ReadFile(filepath.Join(dir, "stat"))
	if err != nil {
		return Proc{}, err
	}
	// "PID (comm) S ...": comm may hold anything, so the state follows the last ')'.
	open, end := bytes.IndexByte(stat, '('), bytes.LastIndexByte(stat, ')')
	if open < 0 || end < open || end+2 >= len(stat) {
		return Proc{}, os.ErrInvalid
	}
	if stat[end+2] == 'Z' {
		return Proc{}, os.ErrNotExist
	}
	proc := Proc{Comm: string(stat[open+1 : end])}
	cmd, err := os.ReadFile(filepath.Join(dir, "cmdline"))
	if err != nil {
		return Proc{}, err
	}
	if len(cmd) > 0 {
		proc.Cmdline = strings.Split(strings.TrimSuffix(string(cmd), "\x00"), "\x00")
	}
	return proc, nil
}
