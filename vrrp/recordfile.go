package vrrp

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// recordMaxSize bounds a record file (the VIP and route records): halvs writes one short entry
// per address, route or rule, so a file this large is not one it wrote.
const recordMaxSize = 16 << 20

// readRecord reads the record file at path; found is false when there is none. Only a
// regular file of at most recordMaxSize bytes is read.
func readRecord(path string) (b []byte, found bool, err error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	defer f.Close()
	if fi, err := f.Stat(); err != nil {
		return nil, false, err
	} else if !fi.Mode().IsRegular() {
		return nil, false, fmt.Errorf("%s is not a regular file", path)
	}
	b, err = io.ReadAll(io.LimitReader(f, recordMaxSize+1))
	if err != nil {
		return nil, false, err
	}
	if len(b) > recordMaxSize {
		return nil, false, fmt.Errorf("%s is larger than %d bytes", path, recordMaxSize)
	}
	return b, true, nil
}

// writeRecord writes v as JSON to a file beside path and renames it over path, so that a
// reader (or a crash) sees the old record or the new one, never half of one.
func writeRecord(path string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	_, err = tmp.Write(append(b, '\n'))
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		os.Remove(tmp.Name())
	}
	return err
}
