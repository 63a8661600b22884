package track

import (
	"strings"
	"time"
)

// ParamMatch is how a ProcessSpec's parameters are compared (keepalived's param_match).
type ParamMatch uint8

const (
	// MatchNone ignores the parameters.
	MatchNone ParamMatch = iota
	// MatchExact wants exactly the configured parameters (none if none are configured).
	MatchExact
	// MatchPartial wants the configured parameters first; more may follow.
	MatchPartial
	// MatchInitial is MatchPartial with the last configured parameter a prefix.
	MatchInitial
)

// ProcessSpec is one vrrp_track_process.
type ProcessSpec struct {
	Name string // the block's name
	// Process is matched exactly against the process's name (/proc/PID/comm, at most 15
	// bytes) or, with FullCommand, against its argv[0].
	Process     string
	Params      []string
	ParamMatch  ParamMatch
	FullCommand bool
	// Quorum and QuorumMax bound how many matching processes make the tracker up.
	Quorum, QuorumMax int
	// ForkDelay holds a quorum gained by a fork for this long before it counts (keepalived
	// avoids an up/down bounce on fork and exec); TerminateDelay does the same for a quorum
	// lost by a process's exit.
	ForkDelay, TerminateDelay time.Duration
}

// Proc is what matching needs to know about a process.
type Proc struct {
	Comm    string   // /proc/PID/comm
	Cmdline []string // /proc/PID/cmdline: argv
}

// matches applies keepalived's rules (track_process.c check_process and check_params).
func (s *ProcessSpec) matches(p Proc) bool {
	name := p.Comm
	if s.FullCommand {
		if len(p.Cmdline) == 0 {
			return false
		}
		name = p.Cmdline[0]
	}
	if name != s.Process {
		return false
	}
	if s.ParamMatch == MatchNone {
		return true
	}
	var have []string
	if len(p.Cmdline) > 1 {
		have = p.Cmdline[1:]
	}
	return paramsMatch(s.ParamMatch, s.Params, have)
}

// paramsMatch compares parameters as keepalived does: each parameter ends with a NUL and
// the configured bytes are compared with the process's.
func paramsMatch(m ParamMatch, want, have []string) bool {
	join := func(p []string) string {
		if len(p) == 0 {
			return ""
		}
		return strings.Join(p, "\x00") + "\x00"
	}
	w, h := join(want), join(have)
	switch m {
	case MatchExact:
		return w == h
	case MatchPartial:
		return strings.HasPrefix(h, w)
	default: // MatchInitial
		return w == "" || strings.HasPrefix(h, w[:len(w)-1])
	}
}

func (s *ProcessSpec) inQuorum(n int) bool { return n >= s.Quorum && n <= s.QuorumMax }
