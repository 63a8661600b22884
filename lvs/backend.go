package lvs

import (
	"errors"
	"net/netip"
	"syscall"
)

// Backend is the kernel's IPVS state as the reconciler needs it: read the table, change one
// service or destination, set the global timeouts, drive the sync daemons. Kernel is the
// production implementation, Memory the in-memory one for tests.
//
// Errors follow the kernel's: EEXIST when adding what exists, ESRCH for a missing service,
// ENOENT for a missing destination, ESRCH when stopping a daemon that is not running.
type Backend interface {
	// Services returns every service in the table (owned by halvs or not) with its
	// destinations. The Sorry field of each entry is zero.
	Services() ([]VirtualServer, error)
	// Service returns one service with its destinations, as Services would list it, or
	// ESRCH when the table has no such service.
	Service(ServiceKey) (VirtualServer, error)
	AddService(Service) error
	UpdateService(Service) error
	DeleteService(ServiceKey) error
	AddDestination(ServiceKey, Destination) error
	UpdateDestination(ServiceKey, Destination) error
	DeleteDestination(ServiceKey, netip.AddrPort) error

	Timeouts() (Timeouts, error)
	SetTimeouts(Timeouts) error

	SyncDaemons() ([]SyncDaemon, error)
	StartSyncDaemon(SyncDaemon) error
	StopSyncDaemon(SyncRole) error
}

// apply performs one operation on b.
func apply(b Backend, o Op) error {
	switch o.Kind {
	case AddService:
		return b.AddService(o.Service)
	case UpdateService:
		return b.UpdateService(o.Service)
	case DeleteService:
		return b.DeleteService(o.Service.Key)
	case AddDestination:
		return b.AddDestination(o.Service.Key, o.Dest)
	case UpdateDestination:
		return b.UpdateDestination(o.Service.Key, o.Dest)
	case DeleteDestination:
		return b.DeleteDestination(o.Service.Key, o.Dest.Addr)
	case SetTimeouts:
		return b.SetTimeouts(o.Timeouts)
	case StartSyncDaemon:
		return b.StartSyncDaemon(o.Daemon)
	case StopSyncDaemon:
		return b.StopSyncDaemon(o.Daemon.Role)
	}
	return errors.New("unknown operation " + o.Kind.String())
}

// permanent says whether retrying err cannot help: the request itself is wrong or the
// object is in a state only a fresh read of the table resolves.
func permanent(err error) bool {
	for _, e := range []syscall.Errno{syscall.EINVAL, syscall.ERANGE, syscall.EOPNOTSUPP,
		syscall.EPERM, syscall.EEXIST, syscall.ESRCH, syscall.ENOENT, syscall.EAFNOSUPPORT} {
		if errors.Is(err, e) {
			return true
		}
	}
	return errors.Is(err, ErrNoIPVS)
}

func isNotFound(err error) bool {
	return errors.Is(err, syscall.ESRCH) || errors.Is(err, syscall.ENOENT)
}
