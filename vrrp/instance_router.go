package vrrp

import (
	"errors"
	"log/slog"
	"net"
	"net/netip"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// TransportKey identifies one Transport that instances share: one per interface, address
// family and (for unicast mode) source address and TTL.
type TransportKey struct {
	Dev     string
	IPv6    bool
	Unicast bool
	Src     netip.Addr // unicast_src_ip; zero for the interface's address
	TTL     uint8      // unicast_ttl; zero for 255 (multicast always sends 255)
	Group   netip.Addr // multicast: vrrp_mcast_group4/6; zero for 224.0.0.18 / ff02::12
}

// Deps are the Router's collaborators. Addresser, Announcer and OpenTransport are
// required; the others have defaults.
type Deps struct {
	Addresser Addresser
	Announcer Announcer
	Links     LinkWatcher // nil: links are assumed up and track_interface never reports
	// Routes adds and removes virtual_routes and virtual_rules; needed only by instances
	// that have some (Apply refuses them without it).
	Routes RouteManager
	// OpenTransport opens the Transport for key (the director wraps DialTransport).
	OpenTransport func(key TransportKey) (Transport, error)
	Clock         Clock        // RealClock when nil
	Logger        *slog.Logger // slog.Default when nil
	RunScript     ScriptRunner // RunScript when nil
	// OnStateChange, when set, is told of every state change of every instance and sync
	// group, one call at a time per instance (or group) and in the order they happened;
	// FIFOLine gives keepalived's notify_fifo line. An instance's change is reported from
	// its kernel worker at keepalived's point of a takeover: after the VIPs are added and
	// the first gratuitous ARP / NA burst is sent (MASTER), after the VIPs are removed
	// (leaving MASTER), before the notify scripts start; so a slow script never delays it.
	// A sync group's change is reported from a worker of its own. The adverts never wait
	// for it, but the instance's next VIP change does: it must return quickly and must not
	// block (hand slow work to a queue), and must not wait for Router.Apply or Shutdown,
	// which report the STOP of the instances they stop before returning.
	OnStateChange func(StateChange)
	// BeforePreemptClaim, when set, is called on an instance's kernel worker before it adds
	// the VIPs of a takeover that preempted a master still advertising (Machine.Preempted),
	// so that what must be in place before clients move (the director's handover of
	// mid-stream packets to that master) is. The VIPs wait for it: it must be bounded. The
	// preempted master keeps serving meanwhile, so a few milliseconds cost no client.
	BeforePreemptClaim func(instance string, preempted netip.Addr)
	// AdvertSched is the scheduling of the advert path's threads (vrrp_rt_priority,
	// vrrp_priority); NewRouter refuses one the process may not set.
	AdvertSched AdvertSched
	// StartupDelay is vrrp_startup_delay: the instances the first Apply starts leave INIT
	// this long after NewRouter; later ones (a reload) start at once.
	StartupDelay time.Duration
	startupUntil time.Time      // NewRouter's time plus StartupDelay
	pacer        *announcePacer // garp_group and vrrp_garp_interval: garp_pacer.go
}

// Router runs a set of VRRP instances and sync groups: one receive goroutine per shared
// Transport hands each advert to the instance with its VRID.
type Router struct {
	deps Deps

	applyMu sync.Mutex // serialises Apply; only Apply changes the maps below

	mu         sync.Mutex // guards what follows for readers; Apply holds it only to change it
	draining   []*worker  // notify workers of stopped instances and groups, finishing scripts
	instances  map[string]*Instance
	configs    map[string]InstanceConfig
	groupOf    map[string]string // instance → sync group name
	groups     map[string]*SyncGroup
	transports map[TransportKey]*sharedTransport
}

// sharedTransport is one Transport and the instances it serves.
type sharedTransport struct {
	key  TransportKey
	t    Transport
	log  *slog.Logger
	done chan struct{}

	mu     sync.RWMutex
	byVRID map[uint8]*Instance

	unknownVRID atomic.Uint64
	short       atomic.Uint64
}

// NewRouter returns a Router with no instances; Apply starts them.
func NewRouter(d Deps) (*Router, error) {
	if d.Addresser == nil || d.Announcer == nil || d.OpenTransport == nil {
		return nil, errors.New("vrrp: NewRouter needs an Addresser, an Announcer and OpenTransport")
	}
	if d.Clock == nil {
		d.Clock = RealClock{}
	}
	if d.Logger == nil {
		d.Logger = slog.Default()
	}
	if d.RunScript == nil {
		d.RunScript = RunScript
	}
	if err := d.AdvertSched.Check(); err != nil {
		return nil, err
	}
	if d.StartupDelay > 0 {
		d.startupUntil = d.Clock.Now().Add(d.StartupDelay)
	}
	d.pacer = newAnnouncePacer(time.Now, time.Sleep) // the kernel workers wait in real time
	return &Router{
		deps:      d,
		instances: map[string]*Instance{}, configs: map[string]InstanceConfig{},
		groupOf: map[string]string{}, groups: map[string]*SyncGroup{},
		transports: map[TransportKey]*sharedTransport{},
	}, nil
}

// Instance returns the running instance called name, or nil.
func (r *Router) Instance(name string) *Instance {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.instances[name]
}

// Instances returns the running instances, sorted by name.
func (r *Router) Instances() []*Instance {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []*Instance
	for _, i := range r.instances {
		out = append(out, i)
	}
	slices.SortFunc(out, func(a, b *Instance) int {
		if a.Name() < b.Name() {
			return -1
		}
		return 1
	})
	return out
}

// SyncGroup returns the sync group called name, or nil.
func (r *Router) SyncGroup(name string) *SyncGroup {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.groups[name]
}

// UnroutedDrops counts messages no instance could take: too short to carry a VRID, or a
// VRID no instance on that Transport has.
func (r *Router) UnroutedDrops() map[DropReason]uint64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := map[DropReason]uint64{}
	for _, st := range r.transports {
		out[DropLength] += st.short.Load()
		out[DropVRID] += st.unknownVRID.Load()
	}
	return out
}

// receive reads the Transport until it is closed and hands each message to the instance
// with its VRID. It only stamps and routes: the checks run in the instance's loop.
func (st *sharedTransport) receive(clock Clock, sched AdvertSched) {
	defer close(st.done)
	wait := lockReceive(sched, st.t, st.log) // sched_loop.go
	for {
		if wait != nil {
			wait()
		}
		p, err := st.t.Receive()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			st.log.Warn("VRRP receive failed", "err", err)
			time.Sleep(10 * time.Millisecond) // a persistent error must not spin
			continue
		}
		// The kernel's receive time when the Transport knows it (it lies tens to hundreds of
		// microseconds before this goroutine gets to the packet, and Master_Down_Interval
		// runs from the advert's arrival), else now. The Transport alone judges its stamp
		// (see Packet.ReceivedAt): only it can tell a wall-clock step, comparing its
		// CLOCK_REALTIME stamp with the wall clock at the read (RawTransport's receivedAt).
		at := p.ReceivedAt
		if at.IsZero() {
			at = clock.Now()
		}
		if len(p.Payload) < 2 {
			st.short.Add(1)
			continue
		}
		st.mu.RLock()
		inst := st.byVRID[p.Payload[1]]
		st.mu.RUnlock()
		if inst == nil {
			st.unknownVRID.Add(1)
			continue
		}
		inst.deliver(p, at)
	}
}
