package config

import (
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"github.com/hashicorp/hcl/v2"
)

// unicast reads unicast_peer (keepalived's entries "ADDR [min_ttl N] [max_ttl N]") and
// unicast_ttl.
func (b *block) unicast(vi *VRRPInstance) {
	vi.UnicastTTL = 255
	if items, ok := b.strings("unicast_peer"); ok {
		var ranges []hcl.Range
		for _, it := range items {
			a, ttl, err := parseUnicastPeer(it.s)
			if err != nil {
				b.d.errorf(it.r, "unicast_peer: %v", err)
				continue
			}
			vi.UnicastPeers = append(vi.UnicastPeers, a)
			if ttl != nil {
				if vi.UnicastPeerTTL == nil {
					vi.UnicastPeerTTL = map[netip.Addr]TTLRange{}
				}
				vi.UnicastPeerTTL[a] = *ttl
			}
			ranges = append(ranges, it.r)
		}
		vi.Source.setEntries("unicast_peer", ranges)
	}
	if b.integer("unicast_ttl", &vi.UnicastTTL, 1, 255) && !b.has("unicast_peer") {
		b.errorf("unicast_ttl", "unicast_ttl sets the TTL of unicast adverts, but this instance has no unicast_peer (multicast adverts always go with TTL 255)")
	}
}

// parseUnicastPeer parses "ADDR [min_ttl N] [max_ttl N]"; the range is nil when neither
// option is given. As in keepalived, a missing end is 0 (min_ttl) or 255 (max_ttl).
func parseUnicastPeer(s string) (netip.Addr, *TTLRange, error) {
	f := strings.Fields(s)
	if len(f) == 0 {
		return netip.Addr{}, nil, errors.New("empty entry")
	}
	a, err := parseAddr(f[0])
	if err != nil {
		return netip.Addr{}, nil, err
	}
	const form = `the form is "ADDRESS [min_ttl N] [max_ttl N]"`
	var r *TTLRange
	seen := map[string]bool{}
	for i := 1; i < len(f); i += 2 {
		opt := f[i]
		if opt != "min_ttl" && opt != "max_ttl" {
			return netip.Addr{}, nil, fmt.Errorf("unexpected %q; %s", opt, form)
		}
		if seen[opt] {
			return netip.Addr{}, nil, fmt.Errorf("%s given twice", opt)
		}
		seen[opt] = true
		if i+1 >= len(f) {
			return netip.Addr{}, nil, fmt.Errorf("%s needs a TTL from 0 to 255", opt)
		}
		n, err := strconv.Atoi(f[i+1])
		if err != nil || n < 0 || n > 255 {
			return netip.Addr{}, nil, fmt.Errorf("%s %q must be a whole number from 0 to 255", opt, f[i+1])
		}
		if r == nil {
			r = &TTLRange{Min: 0, Max: 255}
		}
		if opt == "min_ttl" {
			r.Min = n
		} else {
			r.Max = n
		}
	}
	if r != nil && r.Min > r.Max {
		return netip.Addr{}, nil, fmt.Errorf("min_ttl %d is above max_ttl %d: every advert from %s would be dropped", r.Min, r.Max, a)
	}
	return a, r, nil
}
