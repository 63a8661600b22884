package lvs

// This file exists because github.com/moby/ipvs (v1.1.0) implements the service,
// destination and timeout commands of the IPVS generic-netlink family but not the
// connection-synchronisation daemon ones (IPVS_CMD_NEW_DAEMON, IPVS_CMD_DEL_DAEMON,
// IPVS_CMD_GET_DAEMON), which keepalived's lvs_sync_daemon needs. It speaks just those three,
// with vishvananda/netlink's nl package (already under moby/ipvs), on the Kernel's own socket:
// the one NewKernel opened, so a request reaches the namespace the Kernel was made in, not the
// one the calling thread happens to be in (nl.NetlinkRequest.Execute would open a socket there).

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"syscall"

	"github.com/vishvananda/netlink/nl"
	"golang.org/x/sys/unix"
)

// From linux/ip_vs.h.
const (
	ipvsGenlVersion = 1

	ipvsCmdNewDaemon = 9
	ipvsCmdDelDaemon = 10
	ipvsCmdGetDaemon = 11

	ipvsCmdAttrDaemon = 3

	ipvsDaemonAttrState    = 1 // u32: IP_VS_STATE_MASTER or IP_VS_STATE_BACKUP
	ipvsDaemonAttrMcastIfn = 2 // NUL-terminated interface name
	ipvsDaemonAttrSyncID   = 3 // u32
)

func (k *Kernel) daemonRequest(cmd uint8, flags int, d SyncDaemon, full bool) *nl.NetlinkRequest {
	req := nl.NewNetlinkRequest(int(k.family), flags)
	req.AddData(&nl.Genlmsg{Command: cmd, Version: ipvsGenlVersion})
	if d.Role != 0 {
		attr := nl.NewRtAttr(ipvsCmdAttrDaemon, nil)
		attr.AddRtAttr(ipvsDaemonAttrState, nl.Uint32Attr(uint32(d.Role)))
		if full {
			attr.AddRtAttr(ipvsDaemonAttrMcastIfn, nl.ZeroTerminated(d.Interface))
			attr.AddRtAttr(ipvsDaemonAttrSyncID, nl.Uint32Attr(uint32(d.SyncID)))
		}
		req.AddData(attr)
	}
	return req
}

// StartSyncDaemon implements Backend (ipvsadm --start-daemon). The kernel answers EEXIST
// when a daemon of that role already runs.
func (k *Kernel) StartSyncDaemon(d SyncDaemon) error {
	if err := d.Validate(); err != nil {
		return err
	}
	return k.daemonCommand(k.daemonRequest(ipvsCmdNewDaemon, unix.NLM_F_ACK, d, true), d.Role, true)
}

// StopSyncDaemon implements Backend (ipvsadm --stop-daemon). The kernel answers ESRCH when
// no daemon of that role runs.
func (k *Kernel) StopSyncDaemon(r SyncRole) error {
	return k.daemonCommand(k.daemonRequest(ipvsCmdDelDaemon, unix.NLM_F_ACK, SyncDaemon{Role: r}, false), r, false)
}

// daemonCommand sends a NEW_DAEMON or DEL_DAEMON request followed, in the same send, by a
// GET_DAEMON dump, and returns the command's error. The dump is there because the kernel may
// not answer the command at all: stopping a sync thread that has not run yet (one started a
// moment before) makes kthread_stop return -EINTR, which stop_sync_thread passes on and
// netlink_rcv_skb takes as "send no acknowledgement". The dump's answer, which comes after
// any answer to the command, then shows that the command went unanswered, and its list shows
// whether the daemon of that role runs (wantRunning) as the command meant it to.
func (k *Kernel) daemonCommand(cmd *nl.NetlinkRequest, role SyncRole, wantRunning bool) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	ans, err := k.execute(cmd, k.daemonRequest(ipvsCmdGetDaemon, unix.NLM_F_DUMP, SyncDaemon{}, false))
	if err != nil {
		return err
	}
	if ans[0].done {
		return ans[0].err
	}
	if ans[1].err != nil {
		return fmt.Errorf("lvs: sync daemon command unanswered, then: %w", ans[1].err)
	}
	running := false
	for _, m := range ans[1].data {
		d, err := parseDaemon(m)
		if err != nil {
			return err
		}
		running = running || d.Role == role
	}
	if running != wantRunning {
		return fmt.Errorf("lvs: the kernel did not answer the %s sync daemon command and did not apply it", role)
	}
	return nil
}

// SyncDaemons implements Backend (ipvsadm --list --daemon).
func (k *Kernel) SyncDaemons() ([]SyncDaemon, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	ans, err := k.execute(k.daemonRequest(ipvsCmdGetDaemon, unix.NLM_F_DUMP, SyncDaemon{}, false))
	if err != nil {
		return nil, err
	}
	if ans[0].err != nil {
		return nil, ans[0].err
	}
	var out []SyncDaemon
	for _, m := range ans[0].data {
		d, err := parseDaemon(m)
		if err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, nil
}

// answer is what the kernel said to one request of execute.
type answer struct {
	data [][]byte // payloads of the replies (the parts of a dump)
	err  error    // the kernel's error (a syscall.Errno), nil for success
	done bool     // the kernel acknowledged the request or ended its reply
}

// execute sends reqs in one send on the Kernel's socket, which the kernel handles in order
// within that send, and reads the answers until the last request is done. A request with no
// answer by then got none (see daemonCommand). Answers numbered for something else (a batch
// abandoned on a timeout) are skipped. k.mu must be held.
func (k *Kernel) execute(reqs ...*nl.NetlinkRequest) ([]answer, error) {
	if k.batch == nil {
		return nil, ErrClosed
	}
	if k.seq > math.MaxUint32-uint32(len(reqs)) {
		k.seq = 0
	}
	first := k.seq + 1
	var buf []byte
	for _, req := range reqs {
		k.seq++
		req.Seq = k.seq
		buf = append(buf, req.Serialize()...)
	}
	if err := unix.Sendto(k.batch.GetFd(), buf, 0, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		return nil, fmt.Errorf("lvs: send: %w", err)
	}
	ans := make([]answer, len(reqs))
	last := &ans[len(ans)-1]
	for !last.done {
		msgs, from, err := k.batch.Receive()
		if err != nil {
			return nil, fmt.Errorf("lvs: read the answer: %w", err)
		}
		if from.Pid != nl.PidKernel {
			continue // not the kernel's answer
		}
		for _, m := range msgs {
			if m.Header.Seq < first || m.Header.Seq > k.seq {
				continue
			}
			i := m.Header.Seq - first
			a := &ans[i]
			switch m.Header.Type {
			case unix.NLMSG_ERROR, unix.NLMSG_DONE:
				// Both start with an int: 0, or the negative errno (for DONE, of the dump).
				a.done = true
				if len(m.Data) >= 4 {
					if code := int32(binary.NativeEndian.Uint32(m.Data[:4])); code < 0 {
						a.err = syscall.Errno(-code)
					}
				} else if m.Header.Type == unix.NLMSG_ERROR {
					a.err = errors.New("lvs: short netlink error message")
				}
			default:
				a.data = append(a.data, m.Data)
				if m.Header.Flags&unix.NLM_F_MULTI == 0 && reqs[i].Flags&unix.NLM_F_ACK == 0 {
					a.done = true
				}
			}
		}
	}
	return ans, nil
}

// parseDaemon reads one GET_DAEMON answer: the generic-netlink header, then
// IPVS_CMD_ATTR_DAEMON nesting the daemon's attributes.
func parseDaemon(msg []byte) (SyncDaemon, error) {
	if len(msg) < nl.SizeofGenlmsg {
		return SyncDaemon{}, fmt.Errorf("lvs: short sync-daemon message (%d bytes)", len(msg))
	}
	attrs, err := nl.ParseRouteAttr(msg[nl.SizeofGenlmsg:])
	if err != nil {
		return SyncDaemon{}, fmt.Errorf("lvs: sync-daemon message: %w", err)
	}
	var d SyncDaemon
	for _, a := range attrs {
		if a.Attr.Type != ipvsCmdAttrDaemon {
			continue
		}
		inner, err := nl.ParseRouteAttr(a.Value)
		if err != nil {
			return SyncDaemon{}, fmt.Errorf("lvs: sync-daemon attributes: %w", err)
		}
		for _, ia := range inner {
			switch ia.Attr.Type {
			case ipvsDaemonAttrState:
				if len(ia.Value) >= 4 {
					d.Role = SyncRole(nl.NativeEndian().Uint32(ia.Value))
				}
			case ipvsDaemonAttrMcastIfn:
				d.Interface = string(bytes.TrimRight(ia.Value, "\x00"))
			case ipvsDaemonAttrSyncID:
				if len(ia.Value) >= 4 {
					d.SyncID = uint8(nl.NativeEndian().Uint32(ia.Value))
				}
			}
		}
	}
	if d.Role == 0 {
		return SyncDaemon{}, fmt.Errorf("lvs: sync-daemon message without a state")
	}
	return d, nil
}
