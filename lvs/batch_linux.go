package lvs

// Batched table changes. moby/ipvs makes one round trip per operation (a send, a getsockname
// and a receive of the acknowledgement); programming 1,000 services × 10 real servers is
// then 11,000 round trips, and under emulation the system calls and per-message allocations
// cost as much as the kernel's own work. The IPVS generic-netlink family takes many messages
// in one send and handles them in order within it (netlink_rcv_skb goes on after a failed
// message), answering only failures unless asked for an acknowledgement: so a batch is one
// send with NLM_F_ACK on its last message alone, then one receive per failure and one for
// that acknowledgement. The messages are the ones moby/ipvs sends (same attributes, same
// encodings), appended into one reused buffer by batch_encode_linux.go.

import (
	"encoding/binary"
	"fmt"
	"math"
	"syscall"

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
	ipvsSvcAttrPEName    = 11

	ipvsDestAttrAddr      = 1
	ipvsDestAttrPort      = 2
	ipvsDestAttrFwdMethod = 3
	ipvsDestAttrWeight    = 4
	ipvsDestAttrUThresh   = 5
	ipvsDestAttrLThresh   = 6
	ipvsDestAttrTunType   = 13
	ipvsDestAttrTunPort   = 14
	ipvsDestAttrTunFlags  = 15
)

// batchTimeoutSec bounds the wait for a batch's answers, in seconds; the kernel handles the
// whole batch inside the send, so they are already queued when the wait starts.
const batchTimeoutSec = 5

// openBatchSocket opens the Kernel's own netlink socket (applyBatch's and the sync daemon's
// requests), in the calling thread's network namespace (as moby/ipvs' handle is).
func openBatchSocket() (*nl.NetlinkSocket, error) {
	s, err := nl.Subscribe(unix.NETLINK_GENERIC)
	if err != nil {
		return nil, fmt.Errorf("lvs: open netlink socket: %w", err)
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
	buf := k.buf[:0]
	firstSeq := k.seq + 1
	for i, o := range ops {
		var flags uint16
		if i == len(ops)-1 {
			flags = unix.NLM_F_ACK
		}
		k.seq++
		var err error
		if buf, err = appendIPVSMessage(buf, k.family, o, flags, k.seq); err != nil {
			return fail(err) // a caller's mistake: nothing sent
		}
	}
	k.buf = buf
	lastSeq := k.seq
	if err := unix.Sendto(k.batch.GetFd(), buf, 0, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		return fail(fmt.Errorf("lvs: send: %w", err))
	}
	for {
		msgs, _, err := k.batch.Receive()
		if err != nil {
			// Answers that come later carry this batch's numbers, which the next batch skips.
			return fail(fmt.Errorf("lvs: read the batch's answers: %w", err))
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
