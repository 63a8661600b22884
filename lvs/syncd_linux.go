package lvs

// This file exists because github.com/moby/ipvs (v1.1.0) implements the service,
// destination and timeout commands of the IPVS generic-netlink family but not the
// connection-synchronisation daemon ones (IPVS_CMD_NEW_DAEMON, IPVS_CMD_DEL_DAEMON,
// IPVS_CMD_GET_DAEMON), which keepalived's lvs_sync_daemon needs. It speaks just those three,
// with vishvananda/netlink's nl package (already under moby/ipvs), one socket per request.

import (
	"bytes"
	"fmt"

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
	k.mu.Lock()
	defer k.mu.Unlock()
	if _, err := k.handle(); err != nil {
		return err
	}
	_, err := k.daemonRequest(ipvsCmdNewDaemon, unix.NLM_F_ACK, d, true).Execute(unix.NETLINK_GENERIC, 0)
	return err
}

// StopSyncDaemon implements Backend (ipvsadm --stop-daemon). The kernel answers ESRCH when
// no daemon of that role runs.
func (k *Kernel) StopSyncDaemon(r SyncRole) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	if _, err := k.handle(); err != nil {
		return err
	}
	_, err := k.daemonRequest(ipvsCmdDelDaemon, unix.NLM_F_ACK, SyncDaemon{Role: r}, false).Execute(unix.NETLINK_GENERIC, 0)
	return err
}

// SyncDaemons implements Backend (ipvsadm --list --daemon).
func (k *Kernel) SyncDaemons() ([]SyncDaemon, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if _, err := k.handle(); err != nil {
		return nil, err
	}
	msgs, err := k.daemonRequest(ipvsCmdGetDaemon, unix.NLM_F_DUMP, SyncDaemon{}, false).Execute(unix.NETLINK_GENERIC, 0)
	if err != nil {
		return nil, err
	}
	var out []SyncDaemon
	for _, m := range msgs {
		d, err := parseDaemon(m)
		if err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, nil
}

// parseDaemon reads one GET_DAEMON answer: the generic-netlink header, then
// IPVS_CMD_ATTR_DAEMON nesting the daemon's attributes.
func parseDaemon(msg []byte) (SyncDaemon, error) {
	if len(msg) < nl.SizeofGenlmsg {
		return SyncDaemon{}, fmt.Errorf("ipvs: short sync-daemon message (%d bytes)", len(msg))
	}
	attrs, err := nl.ParseRouteAttr(msg[nl.SizeofGenlmsg:])
	if err != nil {
		return SyncDaemon{}, fmt.Errorf("ipvs: sync-daemon message: %w", err)
	}
	var d SyncDaemon
	for _, a := range attrs {
		if a.Attr.Type != ipvsCmdAttrDaemon {
			continue
		}
		inner, err := nl.ParseRouteAttr(a.Value)
		if err != nil {
			return SyncDaemon{}, fmt.Errorf("ipvs: sync-daemon attributes: %w", err)
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
		return SyncDaemon{}, fmt.Errorf("ipvs: sync-daemon message without a state")
	}
	return d, nil
}
