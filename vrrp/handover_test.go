package vrrp

import (
	"context"
	"errors"
	"testing"
	"time"
)

// TestHandover: A (150) hands over to B (100) with a priority-0 advert; B takes over after
// Skew_Time; A stays BACKUP (priority 1) through the hold although it would preempt; after
// the hold A takes back by preemption.
func TestHandover(t *testing.T) {
	l, a, b := pair(t, vi1(150), vi1(100))
	ia, ib := a.r.Instance("VI_1"), b.r.Instance("VI_1")
	if _, _, err := ib.Handover(context.Background(), time.Minute); !errors.Is(err, ErrNotMaster) {
		t.Fatalf("Handover on the BACKUP: %v, want ErrNotMaster", err)
	}
	hold := 30 * time.Second
	before, sentBefore := ia.Counters().PriorityZeroSent, ia.Counters().AdvertsSent
	sent, until, err := ia.Handover(context.Background(), hold)
	if err != nil {
		t.Fatal(err)
	}
	if !sent.Equal(l.clock.Now()) || !until.Equal(sent.Add(hold)) {
		t.Errorf("sent %v until %v, want now and now+%v", sent.Sub(t0), until.Sub(t0), hold)
	}
	// Returned with the VIP already gone.
	if a.addr.Has(vipPfx) {
		t.Error("Handover returned with the VIP still on A")
	}
	if n := ia.Counters().PriorityZeroSent; n != before+1 {
		t.Errorf("priority-0 adverts sent %d, want %d", n, before+1)
	}
	if n := ia.Counters().AdvertsSent; n != sentBefore+1 {
		t.Errorf("%d adverts sent by the handover, want only the priority-0 one", n-sentBefore)
	}
	st := ia.Status()
	if st.State != StateBackup || st.Priority != HoldPriority || !st.HoldUntil.Equal(until) {
		t.Errorf("A after handover: %v priority %d hold until %v, want BACKUP priority 1 until %v", st.State, st.Priority, st.HoldUntil, until)
	}

	l.advance(2 * time.Second)
	sb := ib.Status()
	if sb.State != StateMaster || !b.addr.Has(vipPfx) {
		t.Fatalf("B is %v with VIP %v, want MASTER with the VIP", sb.State, b.addr.Has(vipPfx))
	}
	if want := sent.Add(SkewTime(3, 100, time.Second)); !sb.Since.Equal(want) || sb.LastReason != "master sent priority 0" {
		t.Errorf("B took over at +%v (%q), want +%v after the priority-0 advert", sb.Since.Sub(sent), sb.LastReason, want.Sub(sent))
	}
	// A saw B's first advert as master at B's takeover: that is the takeover A can report.
	sa := ia.Status()
	if sa.MasterAddr != hostB || !sa.MasterSince.Equal(sb.Since) {
		t.Errorf("A sees master %v since +%v, want %v since +%v", sa.MasterAddr, sa.MasterSince.Sub(sent), hostB, sb.Since.Sub(sent))
	}

	// Held: no preemption although 150 > 100, also across a reload that keeps the instance.
	a.apply(t, vi1(150))
	l.advance(hold - 3*time.Second)
	if state(a) != StateBackup || state(b) != StateMaster {
		t.Fatalf("during the hold A=%v B=%v, want BACKUP MASTER", state(a), state(b))
	}
	if p := ia.Status().Priority; p != HoldPriority {
		t.Errorf("A's priority after a reload during the hold: %d, want %d", p, HoldPriority)
	}

	// The hold ends; A preempts after the Master_Down_Interval from B's last advert.
	l.advance(10 * time.Second)
	sa = ia.Status()
	if sa.State != StateMaster || state(b) != StateBackup || !a.addr.Has(vipPfx) || b.addr.Has(vipPfx) {
		t.Fatalf("after the hold A=%v B=%v, want A MASTER with the VIP", sa.State, state(b))
	}
	if !sa.HoldUntil.IsZero() || sa.Priority != 150 {
		t.Errorf("A after the hold: hold %v priority %d, want none and 150", sa.HoldUntil, sa.Priority)
	}
	if back := sa.Since.Sub(until); back <= 0 || back > MasterDownInterval(3, 150, time.Second)+time.Second {
		t.Errorf("A took back %v after the hold ended, want within one Master_Down_Interval", back)
	}
}

// TestHandoverWithoutPeer: with nobody to take over, the held instance takes the VIP back
// after the Master_Down_Interval; a hold never leaves the VIP unowned.
func TestHandoverWithoutPeer(t *testing.T) {
	l := newLab(t)
	a := l.host(hostA)
	a.apply(t, vi1(150))
	l.advance(5 * time.Second)
	ia := a.r.Instance("VI_1")
	sent, _, err := ia.Handover(context.Background(), time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	l.advance(5 * time.Second)
	st := ia.Status()
	if st.State != StateMaster || !a.addr.Has(vipPfx) {
		t.Fatalf("A is %v with VIP %v, want MASTER again", st.State, a.addr.Has(vipPfx))
	}
	// Held at priority 1 from the moment it stepped down: its down timer runs with
	// HoldPriority's Skew_Time.
	armed := MasterDownInterval(3, HoldPriority, time.Second)
	if want := sent.Add(armed); !st.Since.Equal(want) {
		t.Errorf("A took back at +%v, want +%v", st.Since.Sub(sent), want.Sub(sent))
	}
	if got := a.reported(); len(got) == 0 || got[len(got)-1].Armed != armed {
		t.Errorf("the take-back's down timer: %+v, want armed for %v", got, armed)
	}
}

func TestHandoverOwnerRefused(t *testing.T) {
	l := newLab(t)
	a := l.host(hostA)
	a.apply(t, vi1(PriorityOwner))
	l.advance(time.Second)
	if _, _, err := a.r.Instance("VI_1").Handover(context.Background(), time.Minute); !errors.Is(err, ErrOwner) {
		t.Fatalf("err = %v, want ErrOwner", err)
	}
	if state(a) != StateMaster {
		t.Errorf("owner is %v after a refused handover", state(a))
	}
}
