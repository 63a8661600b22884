package director

import (
	"errors"
	"fmt"
	"os"
	"os/user"
	"strconv"

	"github.com/halvs/halvs/internal/script"
)

// UserLookup resolves the user and group names of script_user, vrrp_script's user and
// misc_check's user to ids. SystemUsers is the real one; tests hand in a map.
type UserLookup func(name, group string) (uid, gid uint32, err error)

// SystemUsers looks names up in the system's user and group databases. Without a group, the
// user's primary group is used.
func SystemUsers(name, group string) (uint32, uint32, error) {
	u, err := user.Lookup(name)
	if err != nil {
		return 0, 0, err
	}
	gidStr := u.Gid
	if group != "" {
		g, err := user.LookupGroup(group)
		if err != nil {
			return 0, 0, err
		}
		gidStr = g.Gid
	}
	uid, err1 := strconv.ParseUint(u.Uid, 10, 32)
	gid, err2 := strconv.ParseUint(gidStr, 10, 32)
	if err := errors.Join(err1, err2); err != nil {
		return 0, 0, fmt.Errorf("user %q: non-numeric id: %w", name, err)
	}
	return uint32(uid), uint32(gid), nil
}

// credential returns who a script runs as: nil (the user halvs runs as) when name is empty or
// is that user already, so that an unprivileged halvs can run its own scripts.
func (l UserLookup) credential(name, group string) (*script.Credential, error) {
	if name == "" {
		return nil, nil
	}
	if l == nil {
		l = SystemUsers
	}
	uid, gid, err := l(name, group)
	if err != nil {
		return nil, fmt.Errorf("user %q: %w", name, err)
	}
	if int(uid) == os.Getuid() && int(gid) == os.Getgid() {
		return nil, nil
	}
	return &script.Credential{UID: uid, GID: gid, Groups: []uint32{}}, nil
}
