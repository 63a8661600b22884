//go:build integration

package integration

import (
	"net/netip"
	"slices"
	"testing"
	"time"
)

// The VIPs of the reload tests: A starts with vip22 and vip23.
var (
	vip22 = netip.PrefixFrom(VIP4, 32)
	vip23 = netip.MustParsePrefix("10.10.10.23/32")
	vip24 = netip.MustParsePrefix("10.10.10.24/32")
)

// TestReloadInPlace: a routine change to a running pair is applied in place, keepalived's
// way. For each change, SIGHUP on the master A (and on B when the change is to both): B never
// becomes MASTER, the client's neighbour entry for every unchanged VIP names A in every
// 10 ms sample, a new VIP answers from A and a removed one is gone from A within one advert
// interval plus reloadSlack, and A stays MASTER since the same moment. Each case also shows
// that its change took effect. The cases of one subtest run one after the other on one pair.
func TestReloadInPlace(t *testing.T) {
	t.Run("v3", func(t *testing.T) {
		a := Instance{State: "MASTER", Priority: 150, Version: 3, Interval: time.Second, VIPs: []netip.Prefix{vip22, vip23}}
		b := a.clone()
		b.State, b.Priority = "BACKUP", 100
		r := newReloadRig(t, a, b)
		for _, c := range []reloadCase{
			{name: "add VIP", change: func(a, _ *Instance) { a.VIPs = append(a.VIPs, vip24) }},
			{name: "remove VIP", change: func(a, _ *Instance) {
				a.VIPs = slices.DeleteFunc(a.VIPs, func(p netip.Prefix) bool { return p == vip23 })
			}},
			{name: "priority within the margin", change: func(a, _ *Instance) { a.Priority = 120 }, check: checkPriority(120)},
			{name: "add vrrp_script", change: func(a, _ *Instance) {
				a.Scripts = []Script{{Name: "chk_ok", Path: "/bin/true", Weight: 10}}
			}, check: checkPriority(130)},
			// Last: its check kills A to show that B adopted the new interval.
			{name: "advert_int 1s to 100ms", change: func(a, _ *Instance) { a.Interval = 100 * time.Millisecond }, check: checkInterval},
		} {
			t.Run(c.name, func(t *testing.T) { r.run(t, c) })
		}
	})

	t.Run("v2", func(t *testing.T) {
		a := Instance{State: "MASTER", Priority: 150, Version: 2, AuthPass: "1111", VIPs: []netip.Prefix{vip22, vip23}}
		b := a.clone()
		b.State, b.Priority = "BACKUP", 100
		r := newReloadRig(t, a, b)
		t.Run("PASS password on both", func(t *testing.T) {
			r.run(t, reloadCase{both: true, change: func(a, b *Instance) { a.AuthPass, b.AuthPass = "2222", "2222" }, check: checkPassword("2222")})
		})
	})

	t.Run("unicast", func(t *testing.T) {
		a := Instance{State: "MASTER", Priority: 150, Version: 3, Interval: time.Second, Unicast: true, VIPs: []netip.Prefix{vip22, vip23}}
		b := a.clone()
		b.State, b.Priority = "BACKUP", 100
		r := newReloadRig(t, a, b)
		client := r.lab.Client.Addr4
		for _, c := range []reloadCase{
			{name: "add peer", change: func(a, _ *Instance) { a.ExtraPeers = []netip.Addr{client} }, check: checkPeer(client, true)},
			{name: "remove peer", change: func(a, _ *Instance) { a.ExtraPeers = nil }, check: checkPeer(client, false)},
		} {
			t.Run(c.name, func(t *testing.T) { r.run(t, c) })
		}
	})
}

// checkPriority: A's adverts carry prio (its priority plus the weights of what it tracks), as
// does its status. The first run of a tracked script may come an interval after the reload,
// so the wait is generous.
func checkPriority(prio int) func(t *testing.T, r *reloadRig, hup time.Time, advMark int) {
	return func(t *testing.T, r *reloadRig, hup time.Time, advMark int) {
		if _, err := r.advertFromA(advMark, time.Until(hup.Add(5*time.Second)), func(e Event) bool { return e.Priority == prio }); err != nil {
			t.Errorf("no advert from A at priority %d after the reload: %v", prio, err)
		}
		if st := r.status(r.da); st.EffectivePriority != prio {
			t.Errorf("A's effective priority %d, want %d", st.EffectivePriority, prio)
		}
	}
}

// checkInterval: A's adverts carry 100 ms; then B, whose own advert_int is still 1 s, shows
// that it adopted A's (RFC 5798 §6.4.2, Master_Adver_Interval): when A is killed, B takes
// over within 3 s. At its own interval it could not before 3 × 1 s + skew = 3.6 s; at A's it
// takes 3 × 100 ms + skew, about 0.36 s.
func checkInterval(t *testing.T, r *reloadRig, hup time.Time, advMark int) {
	if _, err := r.advertFromA(advMark, time.Until(hup.Add(time.Second+reloadSlack)), func(e Event) bool {
		return e.Interval == 100*time.Millisecond
	}); err != nil {
		t.Fatalf("no advert from A carrying advert_int 100ms after the reload: %v", err)
	}
	// Wait for two more adverts from A, so that B has heard the new interval.
	for range 2 {
		if _, err := r.advertFromA(r.atB.Mark(), 2*time.Second, func(Event) bool { return true }); err != nil {
			t.Fatal(err)
		}
	}
	mark := r.obs.Mark()
	killed := time.Now()
	r.da.Kill()
	if _, _, err := r.obs.WaitFor(mark, 3*time.Second, AnnounceFrom(r.lab.B.MAC, VIP4)); err != nil {
		t.Errorf("B did not take over within 3s of A's crash (at its own advert_int, 1s, it would wait 3.6s; at A's 100ms, 0.36s): %v\n%s",
			err, dumpEvents(r.obs.Since(mark)))
	} else {
		t.Logf("B took over %v after A was killed", time.Since(killed).Round(time.Millisecond))
	}
}

// checkPassword: A's adverts carry the new password, and B, reloaded with it too, accepts them
// again: in the two seconds after the reload's watch, its accepted count grows and its
// password drops do not.
func checkPassword(pass string) func(t *testing.T, r *reloadRig, hup time.Time, advMark int) {
	return func(t *testing.T, r *reloadRig, hup time.Time, advMark int) {
		if _, err := r.advertFromA(advMark, time.Until(hup.Add(time.Second+reloadSlack)), func(e Event) bool { return e.Auth == pass }); err != nil {
			t.Errorf("no advert from A with password %q after the reload: %v", pass, err)
		}
		before := r.status(r.db).Counters
		time.Sleep(2500 * time.Millisecond)
		after := r.status(r.db).Counters
		if after.AdvertsReceived <= before.AdvertsReceived || after.Drops["auth_password"] != before.Drops["auth_password"] {
			t.Errorf("B in 2.5s after both reloaded: accepted %d → %d, password drops %d → %d; want more accepted, no new drops",
				before.AdvertsReceived, after.AdvertsReceived, before.Drops["auth_password"], after.Drops["auth_password"])
		}
	}
}

// checkPeer: the client, made a unicast peer of A, receives A's adverts (added) or, once
// removed, receives none from one advert interval plus reloadSlack after the reload on, for
// the rest of the reload's watch (at least two intervals).
func checkPeer(peer netip.Addr, added bool) func(t *testing.T, r *reloadRig, hup time.Time, advMark int) {
	return func(t *testing.T, r *reloadRig, hup time.Time, _ int) {
		toPeer := func(e Event) bool { return AdvertFrom(r.lab.A.MAC)(e) && e.Dst == peer }
		var got []Event
		for _, e := range r.obs.Events() {
			if toPeer(e) && e.Time.After(hup) {
				got = append(got, e)
			}
		}
		bound := hup.Add(r.a.Interval + reloadSlack)
		switch {
		case added && (len(got) == 0 || got[0].Time.After(bound)):
			t.Errorf("A sent %d adverts to the new peer %s after the SIGHUP, want the first within %v\n%s",
				len(got), peer, r.a.Interval+reloadSlack, dumpEvents(got))
		case !added:
			for _, e := range got {
				if e.Time.After(bound) {
					t.Errorf("A still sends to the removed peer %s: %v", peer, e)
					break
				}
			}
		}
	}
}
