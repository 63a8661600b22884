// Package script runs the operator's programs — misc_check probes, notify and quorum scripts —
// from an argv (split from a command line by keepalived's rules) with a timeout, an optional
// user, no shell and an environment of PATH alone, and kills the whole process group when the
// timeout expires, as keepalived does. It also owns enable_script_security's rule (Unsafe)
// and its run-time half (Guard): a script run as root is the file vetted at load.
package script
