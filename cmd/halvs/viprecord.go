package main

import (
	"path/filepath"
	"strings"
)

// vipRecordPath is where `halvs run` records the VIPs it added: beside the control socket,
// named after it ("/run/halvs.sock" → "/run/halvs.vips.json"). A control socket belongs to
// one running halvs (a second is refused), so the record does too, also for several halvs
// in separate network namespaces, each with its own control_socket.
func vipRecordPath(controlSocket string) string {
	base := filepath.Base(controlSocket)
	return filepath.Join(filepath.Dir(controlSocket), strings.TrimSuffix(base, filepath.Ext(base))+".vips.json")
}
