// Package script runs the operator's programs — misc_check probes, notify and quorum scripts —
// from an argv with a timeout, an optional user and no shell unless asked, and kills the whole
// process group when the timeout expires, as keepalived does.
package script
