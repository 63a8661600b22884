//go:build integration

package integration

import (
	"strings"
	"testing"
	"time"
)

// TestDontTrackPrimaryLinkDown: with dont_track_primary, the master's interface going down
// is no fault: it stays MASTER and keeps the VIP (the backup, hearing nothing, takes over
// as well), and when the link returns the backup hears it again and steps back.
func TestDontTrackPrimaryLinkDown(t *testing.T) {
	forEachImpl(t, func(t *testing.T, impl Impl) {
		p := newPair(t, VIP4, impl)
		a := fast(150)
		a.DontTrackPrimary = true
		mark := p.obs.Mark()
		da := p.start(impl, p.lab.A, a)
		p.start(impl, p.lab.B, fast(100))
		p.expectMaster(mark, p.lab.A, 5*time.Second, time.Second)

		mark = p.obs.Mark()
		p.lab.A.SetLink(false)
		p.expectMasterOtherCut(mark, p.lab.B, 5*time.Second)
		deadline := time.Now().Add(3 * a.MasterDownInterval())
		for time.Now().Before(deadline) {
			if !p.lab.A.HasAddr(p.vip) {
				t.Fatalf("A released %s when its link went down (want it kept: no FAULT)", p.vip)
			}
			time.Sleep(20 * time.Millisecond)
		}
		if impl == Halvs {
			st, err := da.Status()
			if err != nil {
				t.Fatal(err)
			}
			if len(st.Instances) != 1 || st.Instances[0].State != "MASTER" {
				t.Fatalf("A's status with its link down: %+v, want MASTER", st.Instances)
			}
		}

		mark = p.obs.Mark()
		p.lab.A.SetLink(true)
		p.holdsAlone(p.lab.A, time.Second)
		if strings.Contains(da.Output(), "FAULT") {
			t.Errorf("%s on A entered FAULT:\n%s", impl, da.Output())
		}
	})
}
