package director

import (
	"context"
	"errors"
	"net/netip"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/halvs/halvs/control"
	"github.com/halvs/halvs/vrrp"
	"github.com/halvs/halvs/vrrp/vrrptest"
)

func instance(name string, vrid, prio int, vip string) string {
	return `vrrp_instance "` + name + `" {
  interface         = "eth0"
  virtual_router_id = ` + itoa(vrid) + `
  priority          = ` + itoa(prio) + `
  advert_int        = "100ms"
  version           = 3
  virtual_ipaddress = ["` + vip + `"]
}
`
}

func itoa(n int) string { return strconv.Itoa(n) }

// peerTransport is the director's transport with a peer whose adverts the test injects.
type peerTransport struct{ *vrrptest.Port }

var peerAddr = netip.MustParseAddr("192.0.2.9")

// advert injects one VRRPv3 advert from the peer for VRID 51, advert_int 100 ms.
func (p *peerTransport) advert(t *testing.T, prio uint8) {
	t.Helper()
	p.advertEvery(t, prio, 100*time.Millisecond)
}

// advertEvery injects one VRRPv3 advert from the peer for VRID 51 carrying interval.
func (p *peerTransport) advertEvery(t *testing.T, prio uint8, interval time.Duration) {
	t.Helper()
	a := vrrp.Advertisement{Version: 3, Type: vrrp.TypeAdvertisement, VRID: 51, Priority: prio,
		Interval: interval, Addrs: []netip.Addr{netip.MustParseAddr("10.0.0.100")}}
	msg, err := a.Marshal(peerAddr, vrrp.MulticastIPv4, vrrp.CodecOptions{})
	if err != nil {
		t.Fatal(err)
	}
	p.Inject(vrrp.Packet{Src: peerAddr, Dst: vrrp.MulticastIPv4, HopLimit: 255, Payload: msg})
}

func TestFailover(t *testing.T) {
	k := newKernel()
	opts := k.options(t)
	d, err := New(parse(t, owner("VI_1", 51, "10.0.0.100/24", "")+owner("VI_2", 52, "10.0.0.101/24", "")+
		instance("VI_3", 53, 150, "10.0.0.102/24")), opts)
	if err != nil {
		t.Fatal(err)
	}
	running(t, d)
	masterOf(t, d, "VI_1")
	var inst *vrrp.Instance
	k.clock.until(t, "VI_3 MASTER after its master-down interval", func() bool {
		inst = d.router.Instance("VI_3")
		return inst != nil && inst.Status().State == vrrp.StateMaster
	})

	ctx := context.Background()
	if _, err := d.Failover(ctx, "nope", 0); !errors.Is(err, control.ErrUnknownInstance) {
		t.Errorf("unknown instance: %v", err)
	}
	if _, err := d.Failover(ctx, "VI_1", 0); !errors.Is(err, vrrp.ErrOwner) {
		t.Errorf("address owner: %v, want vrrp.ErrOwner", err)
	}
	before := len(k.sentPriorities())
	got, err := d.Failover(ctx, "VI_3", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Instance != "VI_3" || got[0].HoldUntil.Sub(got[0].Sent) != time.Hour {
		t.Fatalf("Failover = %+v", got)
	}
	if k.hasVIP("10.0.0.102/24") {
		t.Error("Failover returned with the VIP still there")
	}
	if sent := k.sentPriorities()[before:]; len(sent) == 0 || sent[0] != 0 {
		t.Errorf("adverts after the failover %v, want priority 0 first", sent)
	}
	var st control.Instance
	for _, s := range d.Status(t.Context()).Instances {
		if s.Name == "VI_3" {
			st = s
		}
	}
	if st.State != "BACKUP" || st.LastTransition == nil || st.LastTransition.From != "MASTER" || st.EffectivePriority != int(vrrp.HoldPriority) || !st.HoldUntil.Equal(got[0].HoldUntil) {
		t.Errorf("VI_3 after failover: %+v", st)
	}
	if _, err := d.Failover(ctx, "VI_3", 0); !errors.Is(err, ErrNotMaster) {
		t.Errorf("second failover of a BACKUP: %v, want ErrNotMaster", err)
	}
	// Nobody took over (no peer here): the held instance takes the VIP back by itself.
	k.clock.until(t, "VI_3 MASTER again", func() bool { return inst.Status().State == vrrp.StateMaster })
}

// takeoverRig is a director running VI_1 (priority 100) behind a fake peer, recording the
// takeovers it reports.
type takeoverRig struct {
	k    *kernel
	d    *Director
	inst *vrrp.Instance
	peer *peerTransport

	mu        sync.Mutex
	takeovers []time.Duration
}

func newTakeoverRig(t *testing.T) *takeoverRig {
	t.Helper()
	r := &takeoverRig{k: newKernel()}
	opts := r.k.options(t)
	opts.OpenTransport = func(vrrp.TransportKey) (vrrp.Transport, error) {
		r.peer = &peerTransport{r.k.seg.Port(localAddr)}
		return r.peer, nil
	}
	opts.OnTakeover = func(name string, d time.Duration) {
		r.mu.Lock()
		defer r.mu.Unlock()
		if name == "VI_1" {
			r.takeovers = append(r.takeovers, d)
		}
	}
	d, err := New(parse(t, instance("VI_1", 51, 100, "10.0.0.100/24")), opts)
	if err != nil {
		t.Fatal(err)
	}
	r.d = d
	running(t, d)
	eventually(t, "VI_1 running", func() bool { return d.router.Instance("VI_1") != nil })
	r.inst = d.router.Instance("VI_1")
	return r
}

// takeover waits for VI_1 to become MASTER and returns the one takeover it reported.
func (r *takeoverRig) takeover(t *testing.T) time.Duration {
	t.Helper()
	r.k.clock.until(t, "VI_1 MASTER", func() bool { return r.inst.Status().State == vrrp.StateMaster })
	eventually(t, "the takeover observed", func() bool {
		r.mu.Lock()
		defer r.mu.Unlock()
		return len(r.takeovers) == 1
	})
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.takeovers[0]
}

// TestTakeoverObserved: a backup hears the peer master, then its priority-0 advert, takes
// over after Skew_Time, and reports a takeover that lasted at least that long.
func TestTakeoverObserved(t *testing.T) {
	r := newTakeoverRig(t)
	r.peer.advert(t, 200)
	eventually(t, "the peer heard as master", func() bool {
		s := r.inst.Status()
		return s.State == vrrp.StateBackup && s.MasterAddr == peerAddr && !s.MasterSince.IsZero()
	})
	r.peer.advert(t, 0)
	if got, min := r.takeover(t), vrrp.SkewTime(3, 100, 100*time.Millisecond); got < min {
		t.Errorf("takeover %v, want at least Skew_Time %v", got, min)
	}
	if tr := r.d.Status(t.Context()).Instances[0].LastTransition; tr == nil || tr.From != "BACKUP" || tr.Reason != "master sent priority 0" {
		t.Errorf("status after the takeover: last transition %+v, want from BACKUP for master sent priority 0", tr)
	}
}

// TestTakeoverObservedFromMasterInterval: a version 3 backup times a silent master with the
// interval the master advertised (1 s here), not its own advert_int (100 ms), and the
// takeover it reports lasts at least that Master_Down_Interval.
func TestTakeoverObservedFromMasterInterval(t *testing.T) {
	r := newTakeoverRig(t)
	r.peer.advertEvery(t, 200, time.Second)
	eventually(t, "the peer heard as master", func() bool {
		s := r.inst.Status()
		return s.State == vrrp.StateBackup && s.MasterInterval == time.Second
	})
	if got, min := r.takeover(t), vrrp.MasterDownInterval(3, 100, time.Second); got < min {
		t.Errorf("takeover %v, want at least the master's Master_Down_Interval %v", got, min)
	}
}
