package main

import "runtime/debug"

// halvsVersion is the version halvs reports (`halvs version`, the halvs_build_info metric):
// the one set at build time, else the Go module's, else "devel".
func halvsVersion() string {
	if version != "" {
		return version
	}
	if info, ok := debug.ReadBuildInfo(); ok && info.Main.Version != "" && info.Main.Version != "(devel)" {
		return info.Main.Version
	}
	return "devel"
}
