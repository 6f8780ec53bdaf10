package layer

import (
	"encoding/binary"
	"fmt"

	"github.com/berth-oci/berth/errdefs"
)

// hostID maps a container ID through m; an empty mapping is the identity.
func hostID(id int, m []IDMap) (int, bool) {
	if len(m) == 0 {
		return id, id >= 0
	}
	if id < 0 {
		return 0, false
	}
	for _, e := range m {
		if uint64(id) >= uint64(e.ContainerID) && uint64(id) < uint64(e.ContainerID)+uint64(e.Size) {
			return int(uint64(e.HostID) + uint64(id) - uint64(e.ContainerID)), true
		}
	}
	return 0, false
}

// owner returns the host uid and gid for an entry's container ids.
func (o *ApplyOptions) owner(name string, uid, gid int) (int, int, error) {
	hu, ok := hostID(uid, o.UIDMap)
	if !ok {
		return 0, 0, fmt.Errorf("%s: uid %d is outside the uid mapping: %w", name, uid, errdefs.ErrInvalidArgument)
	}
	hg, ok := hostID(gid, o.GIDMap)
	if !ok {
		return 0, 0, fmt.Errorf("%s: gid %d is outside the gid mapping: %w", name, gid, errdefs.ErrInvalidArgument)
	}
	return hu, hg, nil
}

const (
	vfsCapRevision2 = 0x02000000
	vfsCapRevision3 = 0x03000000
	vfsCapRevMask   = 0xff000000
)

// namespacedCapability rewrites a v2 security.capability (valid in every
// user namespace) as v3 bound to the host uid of the container's root, so a
// file capability of a user-namespaced container grants nothing outside it.
// Other values are returned unchanged.
func namespacedCapability(v []byte, rootUID int) []byte {
	if len(v) != 20 || binary.LittleEndian.Uint32(v)&vfsCapRevMask != vfsCapRevision2 {
		return v
	}
	out := make([]byte, 24)
	copy(out, v)
	magic := binary.LittleEndian.Uint32(v)&^vfsCapRevMask | vfsCapRevision3
	binary.LittleEndian.PutUint32(out, magic)
	binary.LittleEndian.PutUint32(out[20:], uint32(rootUID))
	return out
}
