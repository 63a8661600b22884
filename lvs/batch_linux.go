package lvs

// Batched table changes. moby/ipvs makes one round trip per operation (a send, a getsockname
// and a receive of the acknowledgement); programming 1,000 services × 10 real servers is
// then 11,000 round trips, and under emulation the system calls and per-message allocations
// cost as much as the kernel's own work. The IPVS generic-netlink family takes many messages
// in one send and handles them in order within it (netlink_rcv_skb goes on after a failed
// message), answering only failures unless asked for an acknowledgement: so a batch is one
// send with NLM_F_ACK on its last message alone, then one receive per failure and one for
// that acknowledgement. The messages are the ones moby/ipvs sends (same attributes, same
// encodings), built from the same toMobyService/toMobyDest translations.

import (
	"encoding/binary"
	"fmt"
	"math"
	"net"
	"syscall"

	"github.com/moby/ipvs"
	"github.com/vishvananda/netlink/nl"
	"golang.org/x/sys/unix"
)

// From linux/ip_vs.h.
const (
	ipvsCmdNewService = 1
	ipvsCmdSetService = 2
	ipvsCmdDelService = 3
	ipvsCmdNewDest    = 5
	ipvsCmdSetDest    = 6
	ipvsCmdDelDest    = 7

	ipvsCmdAttrService = 1
	ipvsCmdAttrDest    = 2

	ipvsSvcAttrAF        = 1
	ipvsSvcAttrProtocol  = 2
	ipvsSvcAttrAddr      = 3
	ipvsSvcAttrPort      = 4
	ipvsSvcAttrFWMark    = 5
	ipvsSvcAttrSchedName = 6
	ipvsSvcAttrFlags     = 7
	ipvsSvcAttrTimeout   = 8
	ipvsSvcAttrNetmask   = 9

	ipvsDestAttrAddr      = 1
	ipvsDestAttrPort      = 2
	ipvsDestAttrFwdMethod = 3
	ipvsDestAttrWeight    = 4
	ipvsDestAttrUThresh   = 5
	ipvsDestAttrLThresh   = 6
)

// batchTimeoutSec bounds the wait for a batch's answers, in seconds; the kernel handles the
// whole batch inside the send, so they are already queued when the wait starts.
const batchTimeoutSec = 5

// openBatchSocket opens the Kernel's own netlink socket (applyBatch's and the sync daemon's
// requests), in the calling thread's network namespace (as moby/ipvs' handle is).
func openBatchSocket() (*nl.NetlinkSocket, error) {
	s, err := nl.Subscribe(unix.NETLINK_GENERIC)
	if err != nil {
		return nil, fmt.Errorf("ipvs: open netlink socket: %w", err)
	}
	tv := unix.Timeval{Sec: batchTimeoutSec}
	if err := s.SetReceiveTimeout(&tv); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// applyBatch implements batcher: it sends ops (at most maxBatch, all service and destination
// changes) in one netlink send and returns one error per operation, nil for those applied.
// When the answers cannot be read, every operation gets that error and the caller retries
// them one by one (adds of what exists become updates; deletes of what is gone are done).
func (k *Kernel) applyBatch(ops []Op) []error {
	k.mu.Lock()
	defer k.mu.Unlock()
	errs := make([]error, len(ops))
	fail := func(err error) []error {
		for i := range errs {
			if errs[i] == nil {
				errs[i] = err
			}
		}
		return errs
	}
	if k.batch == nil {
		return fail(ErrClosed)
	}
	if k.seq > math.MaxUint32-maxBatch {
		k.seq = 0 // numbers stay increasing within a batch
	}
	var buf []byte
	firstSeq := k.seq + 1
	for i, o := range ops {
		flags := unix.NLM_F_REQUEST
		if i == len(ops)-1 {
			flags |= unix.NLM_F_ACK
		}
		k.seq++
		msg, err := k.ipvsMessage(o, flags, k.seq)
		if err != nil {
			return fail(err) // a caller's mistake: nothing sent
		}
		buf = append(buf, msg...)
	}
	lastSeq := k.seq
	if err := unix.Sendto(k.batch.GetFd(), buf, 0, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		return fail(fmt.Errorf("ipvs: send: %w", err))
	}
	for {
		msgs, _, err := k.batch.Receive()
		if err != nil {
			// Answers that come later carry this batch's numbers, which the next batch skips.
			return fail(fmt.Errorf("ipvs: read the batch's answers: %w", err))
		}
		for _, m := range msgs {
			if m.Header.Type != unix.NLMSG_ERROR || m.Header.Seq < firstSeq || m.Header.Seq > lastSeq || len(m.Data) < 4 {
				continue // an answer to an earlier, abandoned batch
			}
			if code := int32(binary.NativeEndian.Uint32(m.Data[:4])); code != 0 {
				errs[m.Header.Seq-firstSeq] = syscall.Errno(-code)
			}
			if m.Header.Seq == lastSeq {
				return errs
			}
		}
	}
}

// ipvsMessage is o as one IPVS generic-netlink request, as moby/ipvs would send it.
func (k *Kernel) ipvsMessage(o Op, flags int, seq uint32) ([]byte, error) {
	var cmd uint8
	switch o.Kind {
	case AddService:
		cmd = ipvsCmdNewService
	case UpdateService:
		cmd = ipvsCmdSetService
	case DeleteService:
		cmd = ipvsCmdDelService
	case AddDestination:
		cmd = ipvsCmdNewDest
	case UpdateDestination:
		cmd = ipvsCmdSetDest
	case DeleteDestination:
		cmd = ipvsCmdDelDest
	default:
		return nil, fmt.Errorf("ipvs: %s cannot be batched", o.Kind)
	}
	req := nl.NewNetlinkRequest(int(k.family), flags)
	req.Seq = seq
	req.AddData(&nl.Genlmsg{Command: cmd, Version: ipvsGenlVersion})
	switch o.Kind {
	case AddService, UpdateService:
		req.AddData(serviceAttr(toMobyService(o.Service)))
	case DeleteService:
		req.AddData(serviceAttr(toMobyService(Service{Key: o.Service.Key})))
	default:
		req.AddData(serviceAttr(toMobyService(Service{Key: o.Service.Key})))
		d := o.Dest
		if o.Kind == DeleteDestination {
			d = Destination{Addr: o.Dest.Addr}
		}
		req.AddData(destAttr(toMobyDest(d)))
	}
	return req.Serialize(), nil
}

// serviceAttr is moby/ipvs' fillService: the service nested in IPVS_CMD_ATTR_SERVICE.
func serviceAttr(s *ipvs.Service) *nl.RtAttr {
	a := nl.NewRtAttr(ipvsCmdAttrService, nil)
	a.AddRtAttr(ipvsSvcAttrAF, nl.Uint16Attr(s.AddressFamily))
	if s.FWMark != 0 {
		a.AddRtAttr(ipvsSvcAttrFWMark, nl.Uint32Attr(s.FWMark))
	} else {
		a.AddRtAttr(ipvsSvcAttrProtocol, nl.Uint16Attr(s.Protocol))
		a.AddRtAttr(ipvsSvcAttrAddr, rawIP(s.Address))
		a.AddRtAttr(ipvsSvcAttrPort, binary.BigEndian.AppendUint16(nil, s.Port))
	}
	a.AddRtAttr(ipvsSvcAttrSchedName, nl.ZeroTerminated(s.SchedName))
	flags := binary.NativeEndian.AppendUint32(nil, s.Flags)
	a.AddRtAttr(ipvsSvcAttrFlags, binary.NativeEndian.AppendUint32(flags, 0xFFFFFFFF)) // {flags, mask}
	a.AddRtAttr(ipvsSvcAttrTimeout, nl.Uint32Attr(s.Timeout))
	a.AddRtAttr(ipvsSvcAttrNetmask, nl.Uint32Attr(s.Netmask))
	return a
}

// destAttr is moby/ipvs' fillDestination: the destination nested in IPVS_CMD_ATTR_DEST.
func destAttr(d *ipvs.Destination) *nl.RtAttr {
	a := nl.NewRtAttr(ipvsCmdAttrDest, nil)
	a.AddRtAttr(ipvsDestAttrAddr, rawIP(d.Address))
	a.AddRtAttr(ipvsDestAttrPort, binary.BigEndian.AppendUint16(nil, d.Port))
	a.AddRtAttr(ipvsDestAttrFwdMethod, nl.Uint32Attr(d.ConnectionFlags&ipvs.ConnFwdMask))
	a.AddRtAttr(ipvsDestAttrWeight, nl.Uint32Attr(uint32(d.Weight)))
	a.AddRtAttr(ipvsDestAttrUThresh, nl.Uint32Attr(d.UpperThreshold))
	a.AddRtAttr(ipvsDestAttrLThresh, nl.Uint32Attr(d.LowerThreshold))
	return a
}

// rawIP is an address as IPVS wants it: 4 bytes for IPv4, 16 for IPv6.
func rawIP(ip net.IP) []byte {
	if v4 := ip.To4(); v4 != nil {
		return v4
	}
	return ip
}
