package vrrp

import (
	"net/netip"

	"github.com/google/go-cmp/cmp/cmpopts"
)

// cmpNet lets cmp.Diff compare netip values, whose fields are unexported.
var cmpNet = cmpopts.EquateComparable(netip.Addr{}, netip.Prefix{})
