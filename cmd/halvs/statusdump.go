package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"
)

// statusDumpPath is where SIGUSR1 writes the status, keepalived's /tmp/keepalived.data:
// beside the control socket and named after it ("/run/halvs.sock" → "/run/halvs.status.json"),
// as the VIP record is, so each halvs (one per control socket) has its own.
func statusDumpPath(controlSocket string) string {
	base := filepath.Base(controlSocket)
	return filepath.Join(filepath.Dir(controlSocket), strings.TrimSuffix(base, filepath.Ext(base))+".status.json")
}

// dumpMu keeps two SIGUSR1 dumps from writing the file at once; a signal that arrives
// during a dump is answered by it, so a burst of signals costs one dump, not a queue.
var dumpMu sync.Mutex

// dumpStatus is SIGUSR1: the status document, as `halvs status --json` prints it, replaces
// the file at path (root only, written whole: a reader never sees half of it), and one
// info line carries it, for an operator who reads the journal rather than the file.
func (dm *daemon) dumpStatus(path string) {
	if !dumpMu.TryLock() {
		dm.log.Debug("SIGUSR1: a status dump is already being written")
		return
	}
	defer dumpMu.Unlock()
	st, err := dm.status(context.Background())
	if err != nil {
		dm.log.Error("SIGUSR1: cannot read the status", "err", err)
		return
	}
	doc, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		dm.log.Error("SIGUSR1: cannot encode the status", "err", err)
		return
	}
	doc = append(doc, '\n')
	if err := writeFileAtomic(path, doc, 0o600); err != nil {
		dm.log.Error("SIGUSR1: cannot write the status", "path", path, "err", err)
		return
	}
	var line bytes.Buffer
	if err := json.Compact(&line, doc); err != nil {
		dm.log.Error("SIGUSR1: cannot encode the status", "err", err)
		return
	}
	dm.log.Info("SIGUSR1: status written", "path", path, "status", json.RawMessage(line.Bytes()))
}

// writeFileAtomic replaces path with data through a temporary file in the same directory.
func writeFileAtomic(path string, data []byte, perm os.FileMode) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name()) // after the rename, a no-op
	if err := f.Chmod(perm); err != nil {
		f.Close()
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}
