package director

import (
	"errors"
	"net/netip"
	"slices"
	"syscall"
	"time"

	"github.com/halvs/halvs/config"
	"github.com/halvs/halvs/lvs"
	"github.com/halvs/halvs/vrrp"
)

// The other half of lvs_handover_accept (handover.go): a director that preempts a master
// which is still running takes the VIP before its connection table holds the newest of the
// connections that master scheduled (the sync daemon sends them within seconds). A packet
// of one of those reaching the new master would have no entry, and IPVS would leave it to
// the local stack, which resets it: a request in flight during the preemption fails. So for
// handoverWindow after such a takeover, the new master hands every mid-stream TCP packet its
// table does not know to the director it preempted, which serves it with its own entry
// (it accepts the VIP's packets, handover.go): a tc filter marks the VIP's TCP packets that
// open no connection, and an IPVS firewall-mark service, looked up before the VIP's own and
// with sloppy_tcp scheduling mid-stream packets, sends them by direct routing to that
// director. Connections the table knows keep their entries (IPVS finds those before any
// service), and a handed-over connection keeps its entry to the old master after the
// window; the service goes when the instance leaves MASTER. IPv4 virtual servers with DR or
// TUN only: with NAT the real servers answer through the VIP's owner.

// handoverWindow is how long unknown mid-stream packets are handed over after a
// preemption: several times the sync daemon's latency (syncgate.go). A variable for tests.
var handoverWindow = 30 * time.Second

const (
	// handoverMarkBase and handoverPrefBase number each instance's firewall mark and tc
	// filter preference ("HV"), by the instance's position in the config.
	handoverMarkBase = 0x48560000
	handoverPrefBase = 0x4856
)

// MidStreamMarker marks a VIP's mid-stream TCP packets on an interface's ingress (see
// lvs.MarkMidStream); Options.MidStream, the kernel's when nil.
type MidStreamMarker interface {
	Mark(dev string, vip netip.Addr, ports []uint16, pref uint16, mark uint32) error
	Unmark(dev string, pref uint16) error
}

type kernelMarker struct{}

func (kernelMarker) Mark(dev string, vip netip.Addr, ports []uint16, pref uint16, mark uint32) error {
	return lvs.MarkMidStream(dev, vip, ports, pref, mark)
}
func (kernelMarker) Unmark(dev string, pref uint16) error { return lvs.UnmarkMidStream(dev, pref) }

// midStream is one instance's handover forwarding: its IPv4 VIPs that are addresses of DR or
// TUN TCP virtual servers, with their ports, on the instance's interface.
type midStream struct {
	Dev  string
	VIPs map[netip.Addr][]uint16
	Mark uint32
	Pref uint16
}

func (m midStream) equal(o midStream) bool {
	if m.Dev != o.Dev || m.Mark != o.Mark || m.Pref != o.Pref || len(m.VIPs) != len(o.VIPs) {
		return false
	}
	for a, ps := range m.VIPs {
		if !slices.Equal(ps, o.VIPs[a]) {
			return false
		}
	}
	return true
}

// handoverForwards is each instance's midStream under lvs_handover_accept.
func handoverForwards(cfg *config.Config) map[string]midStream {
	if !handoverAccept(cfg) {
		return nil
	}
	out := map[string]midStream{}
	for i, vi := range cfg.VRRPInstances {
		m := midStream{Dev: vi.Interface, VIPs: map[netip.Addr][]uint16{},
			Mark: handoverMarkBase | uint32(i), Pref: handoverPrefBase + uint16(i)}
		for _, v := range vi.VirtualIPAddresses {
			if v.Dev != "" && v.Dev != vi.Interface || !v.Prefix.Addr().Is4() {
				continue
			}
			for _, vs := range cfg.VirtualServers {
				a := vs.Addr
				if a.Addr() == v.Prefix.Addr() && a.Port() != 0 && vs.FWMark == 0 && vs.Protocol == config.ProtocolTCP &&
					vs.Method != config.MethodNAT && !slices.Contains(m.VIPs[a.Addr()], a.Port()) {
					m.VIPs[a.Addr()] = append(m.VIPs[a.Addr()], a.Port())
				}
			}
		}
		if len(m.VIPs) > 0 {
			out[vi.Name] = m
		}
	}
	return out
}

// handover is one instance's forwarding in force.
type handover struct {
	spec   midStream
	peer   netip.Addr
	marked bool
	window *time.Timer
}

// handoverSetupWait bounds how long an instance's VIPs wait for the handover to be in place
// (the IPVS queue may be busy with a large reload, the kernel may load cls_u32 first); past
// it they are added all the same and the handover follows. Waiting costs the clients
// nothing: the preempted master has seen the new one's advert and released the VIP, and
// serves what they still send it (lvs_handover_accept) until the new master's GARP. Under
// the VM tier's emulated CPU the setup has taken over 200 ms.
const handoverSetupWait = time.Second

// beforePreemptClaim is vrrp's BeforePreemptClaim: the handover is in place before the
// clients move, so that a request in flight through the old master is handed back to it.
func (d *Director) beforePreemptClaim(inst string, peer netip.Addr) {
	s := d.ipvs.Load()
	if s == nil {
		return
	}
	done := make(chan struct{})
	s.q.do(func() {
		defer close(done)
		s.ensureHandover(inst, peer)
	})
	select {
	case <-done:
	case <-s.q.done: // stopping: the job was dropped
	case <-time.After(handoverSetupWait):
		s.log.Warn("claiming the VIPs before the handover to the preempted master is in place", "instance", inst, "waited", handoverSetupWait)
	}
}

// handoverChange starts the forwarding when instance c.Name preempted a running master
// (unless beforePreemptClaim did) and ends it when the instance leaves MASTER.
func (s *ipvsSide) handoverChange(c vrrp.StateChange) {
	s.q.do(func() {
		if c.To != vrrp.StateMaster {
			s.endHandover(c.Name)
			return
		}
		if c.Preempted.Is4() {
			s.ensureHandover(c.Name, c.Preempted)
		}
	})
}

// ensureHandover starts inst's forwarding to peer unless it is in force already.
func (s *ipvsSide) ensureHandover(inst string, peer netip.Addr) {
	spec, ok := s.forwards[inst]
	if !ok || !peer.Is4() {
		return
	}
	if h, ok := s.handovers[inst]; ok && h.peer == peer && h.spec.equal(spec) {
		return
	}
	s.endHandover(inst)
	s.startHandover(inst, spec, peer)
}

func (s *ipvsSide) startHandover(inst string, spec midStream, peer netip.Addr) {
	key := lvs.FWMarkKey(spec.Mark, lvs.IPv4)
	s.deleteMarkService(key)
	err := s.backend.AddService(lvs.Service{Key: key, Scheduler: "rr"})
	if err == nil {
		err = s.backend.AddDestination(key, lvs.Destination{Addr: netip.AddrPortFrom(peer, 0), Forward: lvs.DR, Weight: 1})
	}
	if err != nil {
		s.deleteMarkService(key)
		s.log.Error("IPVS: cannot hand mid-stream packets over to the preempted master", "instance", inst, "peer", peer, "err", err)
		return
	}
	h := &handover{spec: spec, peer: peer}
	s.handovers[inst] = h
	for vip, ports := range spec.VIPs {
		if err := s.marker.Mark(spec.Dev, vip, ports, spec.Pref, spec.Mark); err != nil {
			s.log.Error("IPVS: cannot mark mid-stream packets for the handover", "instance", inst, "vip", vip, "err", err)
			continue
		}
		h.marked = true
	}
	if !h.marked {
		return // nothing reaches the service: it goes when the instance leaves MASTER
	}
	s.holdSloppy()
	h.window = time.AfterFunc(handoverWindow, func() { s.q.do(func() { s.closeWindow(inst, h) }) })
	s.log.Info("handing the mid-stream packets the table does not know over to the preempted master",
		"instance", inst, "peer", peer, "window", handoverWindow)
}

// closeWindow stops handing new mid-stream packets over; connections already handed over
// keep their entries to the old master.
func (s *ipvsSide) closeWindow(inst string, h *handover) {
	if s.handovers[inst] != h || h.window == nil {
		return
	}
	h.window = nil
	s.unmark(inst, h)
	s.releaseSloppy()
}

// endHandover removes inst's forwarding: the filter, the firewall-mark service.
func (s *ipvsSide) endHandover(inst string) {
	h, ok := s.handovers[inst]
	if !ok {
		return
	}
	delete(s.handovers, inst)
	if h.window != nil {
		h.window.Stop()
		h.window = nil
		s.unmark(inst, h)
		s.releaseSloppy()
	}
	s.deleteMarkService(lvs.FWMarkKey(h.spec.Mark, lvs.IPv4))
}

func (s *ipvsSide) unmark(inst string, h *handover) {
	if !h.marked {
		return
	}
	h.marked = false
	if err := s.marker.Unmark(h.spec.Dev, h.spec.Pref); err != nil {
		s.log.Error("IPVS: cannot remove the handover's mid-stream filter", "instance", inst, "dev", h.spec.Dev, "err", err)
	}
}

func (s *ipvsSide) deleteMarkService(key lvs.ServiceKey) {
	if err := s.backend.DeleteService(key); err != nil && !errors.Is(err, syscall.ESRCH) {
		s.log.Error("IPVS: cannot remove the handover's firewall-mark service", "service", key, "err", err)
	}
}

// clearHandovers removes what an earlier run may have left of specs' forwarding (a crash
// during a window) and, with none given, all forwarding in force. Called on the queue.
func (s *ipvsSide) clearHandovers(specs map[string]midStream) {
	for inst := range s.handovers {
		s.endHandover(inst)
	}
	for _, spec := range specs {
		if err := s.marker.Unmark(spec.Dev, spec.Pref); err != nil {
			s.log.Warn("IPVS: cannot check for a handover filter left behind", "dev", spec.Dev, "err", err)
		}
		s.deleteMarkService(lvs.FWMarkKey(spec.Mark, lvs.IPv4))
	}
}

// holdSloppy sets sloppy_tcp for the handover windows when it is off (IPVS schedules a
// mid-stream packet only with it); releaseSloppy puts it back when the last window closes.
func (s *ipvsSide) holdSloppy() {
	s.sloppyHolds++
	if s.sloppyHolds > 1 {
		return
	}
	if v, err := s.getSysctl("sloppy_tcp"); err == nil && v != "0" {
		return // on already, by the config or the host: nothing to put back
	}
	if err := s.setSysctl("sloppy_tcp", "1"); err != nil {
		s.log.Error("IPVS: cannot set sloppy_tcp for the handover", "err", err)
		return
	}
	s.sloppySet = true
}

func (s *ipvsSide) releaseSloppy() {
	s.sloppyHolds--
	if s.sloppyHolds > 0 || !s.sloppySet {
		return
	}
	s.sloppySet = false
	if s.sloppy["sloppy_tcp"] {
		return // the config turned it on meanwhile
	}
	if err := s.setSysctl("sloppy_tcp", "0"); err != nil {
		s.log.Error("IPVS: cannot clear sloppy_tcp after the handover", "err", err)
	}
}
