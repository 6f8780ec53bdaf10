package rootfs

import (
	"fmt"
	"path/filepath"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/berth-oci/berth/errdefs"
)

// rootPropagations maps linux.rootfsPropagation (runc also takes the
// recursive forms) to mount(2) propagation flags. The default keeps the
// host's mount events flowing in, none flowing out.
var rootPropagations = map[string]uintptr{
	"":            unix.MS_SLAVE | unix.MS_REC,
	"shared":      unix.MS_SHARED,
	"rshared":     unix.MS_SHARED | unix.MS_REC,
	"slave":       unix.MS_SLAVE,
	"rslave":      unix.MS_SLAVE | unix.MS_REC,
	"private":     unix.MS_PRIVATE,
	"rprivate":    unix.MS_PRIVATE | unix.MS_REC,
	"unbindable":  unix.MS_UNBINDABLE,
	"runbindable": unix.MS_UNBINDABLE | unix.MS_REC,
}

func rootPropagation(spec *specs.Spec) (uintptr, error) {
	var p string
	if spec.Linux != nil {
		p = spec.Linux.RootfsPropagation
	}
	flags, ok := rootPropagations[p]
	if !ok {
		return 0, fmt.Errorf("linux.rootfsPropagation %q is not shared, slave, private or unbindable: %w", p, errdefs.ErrInvalidArgument)
	}
	return flags, nil
}

// prepareRoot sets the propagation of "/" and binds the rootfs onto itself,
// since pivot_root(2) needs a mount point.
//
// An unbindable "/" would make that bind fail, so unbindable is applied to
// the rootfs mount after it, with "/" made rslave as by default. A shared
// parent of the rootfs would make pivot_root fail and the bind propagate to
// the host, so it is made private (only possible when "/" was not made
// rslave or rprivate as a whole).
func prepareRoot(k Kernel, spec *specs.Spec, rootfs string) error {
	flags, err := rootPropagation(spec)
	if err != nil {
		return err
	}
	unbindable := flags&unix.MS_UNBINDABLE != 0
	rootFlags := flags
	if unbindable {
		rootFlags = unix.MS_SLAVE | unix.MS_REC
	}
	if err := k.Mount("", "/", "", rootFlags, ""); err != nil {
		return err
	}
	if rootFlags&unix.MS_REC == 0 || rootFlags&unix.MS_SHARED != 0 {
		if err := privateParent(k, rootfs); err != nil {
			return err
		}
	}
	if err := k.Mount(rootfs, rootfs, "bind", unix.MS_BIND|unix.MS_REC, ""); err != nil {
		return err
	}
	if unbindable {
		return k.Mount("", rootfs, "", flags, "")
	}
	return nil
}

// privateParent makes the mount holding rootfs private when it is shared.
func privateParent(k Kernel, rootfs string) error {
	if real, err := filepath.EvalSymlinks(rootfs); err == nil {
		rootfs = real // mountinfo has canonical paths
	}
	b, err := k.ReadFile("/proc/self/mountinfo")
	if err != nil {
		return err
	}
	mounts, err := parseMountinfo(b)
	if err != nil {
		return err
	}
	var parent *mountEntry
	for i := range mounts {
		m := &mounts[i]
		if under(rootfs, m.Mountpoint) && (parent == nil || len(m.Mountpoint) >= len(parent.Mountpoint)) {
			parent = m
		}
	}
	if parent == nil {
		return fmt.Errorf("no mount holds %s: %w", rootfs, errdefs.ErrNotFound)
	}
	for _, opt := range parent.Optional {
		if strings.HasPrefix(opt, "shared:") {
			return k.Mount("", parent.Mountpoint, "", unix.MS_PRIVATE, "")
		}
	}
	return nil
}

// sharedAfterPivot returns the flags that make the new root shared, as
// rootfsPropagation "shared" or "rshared" asks: the rootfs mount gets a peer
// group of its own once pivot_root (which refuses shared mounts) is done.
func sharedAfterPivot(spec *specs.Spec) uintptr {
	flags, err := rootPropagation(spec)
	if err != nil || flags&unix.MS_SHARED == 0 {
		return 0
	}
	return flags
}

// msFlagString names mount(2) flags for error messages.
func msFlagString(f uintptr) string {
	var names []string
	for _, n := range []struct {
		bit  uintptr
		name string
	}{
		{unix.MS_RDONLY, "ro"}, {unix.MS_NOSUID, "nosuid"}, {unix.MS_NODEV, "nodev"},
		{unix.MS_NOEXEC, "noexec"}, {unix.MS_REMOUNT, "remount"}, {unix.MS_BIND, "bind"},
		{unix.MS_MOVE, "move"}, {unix.MS_REC, "rec"}, {unix.MS_SHARED, "shared"},
		{unix.MS_SLAVE, "slave"}, {unix.MS_PRIVATE, "private"}, {unix.MS_UNBINDABLE, "unbindable"},
	} {
		if f&n.bit != 0 {
			names = append(names, n.name)
		}
	}
	if len(names) == 0 {
		return "0"
	}
	return strings.Join(names, "|")
}
