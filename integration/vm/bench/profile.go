package main

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"os"
	"runtime/pprof"
)

// Profile markers: with -cpuprofile console the profile leaves the guest (which has no disk)
// on the serial console, base64 between these lines; bench.sh decodes it on the host.
const (
	pprofBegin = "LVS-BENCH-PPROF-BEGIN"
	pprofEnd   = "LVS-BENCH-PPROF-END"
)

// profileInProcess programs tb from empty and re-applies it through the lvs package under a
// Go CPU profile written to dest (a file, or "console").
func profileInProcess(k *kernel, tb table, dest string) error {
	if err := flush(); err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := pprof.StartCPUProfile(&buf); err != nil {
		return err
	}
	want := tb.lvs()
	_, _, err1 := inProcessReconcile(k, want, nil)
	_, _, err2 := inProcessReconcile(k, want, nil)
	pprof.StopCPUProfile()
	if err1 != nil || err2 != nil {
		return fmt.Errorf("profiled runs: %v %v", err1, err2)
	}
	if err := flush(); err != nil {
		return err
	}
	if dest != "console" {
		return os.WriteFile(dest, buf.Bytes(), 0o644)
	}
	enc := base64.StdEncoding.EncodeToString(buf.Bytes())
	fmt.Println(pprofBegin)
	for len(enc) > 0 {
		n := min(len(enc), 76)
		fmt.Println(enc[:n])
		enc = enc[n:]
	}
	fmt.Println(pprofEnd)
	return nil
}
