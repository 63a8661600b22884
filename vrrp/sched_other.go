//go:build !linux

package vrrp

import (
	"errors"
	"time"
)

var errNoThreadSched = errors.New("vrrp: thread scheduling is Linux-only")

func (s AdvertSched) apply() error { return errNoThreadSched }

// advertThread exists on Linux only; elsewhere the loop runs as without AdvertSched.
type advertThread struct{ sched AdvertSched }

func newAdvertThread(AdvertSched) (*advertThread, error) { return nil, errNoThreadSched }
func (t *advertThread) signal()                          {}
func (t *advertThread) at(time.Time, func()) Timer       { return nil }
func (t *advertThread) wait()                            {}
func (t *advertThread) close()                           {}
