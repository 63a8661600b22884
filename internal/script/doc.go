// Package script runs the operator's programs — misc_check probes, notify and quorum scripts —
// from an argv (split from a command line by keepalived's rules) with a timeout, an optional
// user and no shell, and kills the whole process group when the timeout expires, as keepalived
// does.
package script
