package rootfs

import (
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// Kernel is the seam between the rootfs logic and the kernel. The logic
// (which mounts, in which order, with which flags) talks only to a Kernel;
// the real one makes the system calls, a test's fake records them.
//
// Host paths are paths in the runtime's mount namespace and are trusted (the
// bundle belongs to the caller). Everything inside the container goes through
// a Root, which resolves container paths inside the root it was opened on.
type Kernel interface {
	// Mount is mount(2) on host paths. Prepare uses it only for the
	// propagation of "/" and to bind the rootfs onto itself.
	Mount(source, target, fstype string, flags uintptr, data string) error
	// ReadFile reads a host file (/proc/self/mountinfo, /proc/self/cgroup).
	ReadFile(path string) ([]byte, error)
	// FSType is the f_type statfs(2) reports for a host path.
	FSType(path string) (int64, error)
	// HostStat stats a host path, following symlinks.
	HostStat(path string) (FileInfo, error)
	// OpenRoot opens a host directory as the root that container paths
	// resolve in. The caller closes it.
	OpenRoot(path string) (Root, error)
	// PivotRoot makes rootfs (a mount point) the root of the mount
	// namespace, detaches the old root and leaves the working directory at
	// "/".
	PivotRoot(rootfs string) error
	// MoveRoot is the --no-pivot variant: it hides the host's procfs and
	// sysfs mounts, moves rootfs onto "/" and chroots into it.
	MoveRoot(rootfs string) error
	// ReopenDevNull points the standard descriptors that refer to the host's
	// /dev/null at the container's /dev/null (after the pivot).
	ReopenDevNull() error
	// Umask sets the process umask and returns the previous one.
	Umask(mask int) int
}

// Root performs operations inside a root directory. Every path is a container
// path (absolute, clean); the real implementation resolves it as if the root
// were "/": symlinks, absolute or relative, and ".." never lead out of it.
// Missing parent directories are created (mode 0755) by the operations that
// create something. Errors carry the operation and the container path.
type Root interface {
	// Stat describes the file at path, following symlinks inside the root.
	// A missing file is an error wrapping fs.ErrNotExist.
	Stat(path string) (FileInfo, error)
	// MkdirAll makes path and its missing parents directories.
	MkdirAll(path string, mode uint32) error
	// Mknod creates a device node or fifo; an existing file there is an
	// error wrapping fs.ErrExist.
	Mknod(path string, mode uint32, dev uint64) error
	// Lchown changes the owner of path itself (no symlink following at the
	// last component).
	Lchown(path string, uid, gid uint32) error
	// Symlink creates path as a symlink to target; an existing file there is
	// an error wrapping fs.ErrExist.
	Symlink(target, path string) error
	// Unlink removes the non-directory at path; a missing one is an error
	// wrapping fs.ErrNotExist.
	Unlink(path string) error
	// Mount mounts a new filesystem at path, creating a directory there if
	// nothing exists.
	Mount(path string, fs *FS) error
	// Bind clones the mount (tree) at b.Source onto path, creating a file or
	// a directory there (as the source is) if nothing exists.
	Bind(path string, b *Bind) error
	// Change changes the attributes or the propagation of the mount whose
	// root is at path.
	Change(path string, c Change) error
	// Reconfigure remounts the superblock of the mount at path with new
	// flags and filesystem options (the "remount" option without "bind").
	Reconfigure(path string, fs *FS) error
	// WriteSysctl writes value to /proc/sys/key, key being slash-separated.
	// The file must be on the procfs mounted in the root.
	WriteSysctl(key, value string) error
	// Close releases the root.
	Close() error
}

// FileInfo is what the rootfs logic needs to know about a file.
type FileInfo struct {
	Mode     uint32 // S_IFMT type bits and permission bits, as in stat(2)
	Rdev     uint64 // device number of a device node
	UID, GID uint32
	Dev, Ino uint64 // identity of the file
}

// Attr is a change of mount attributes in mount_setattr(2) terms: Set and
// Clr hold MOUNT_ATTR_* bits; an atime mode change puts MOUNT_ATTR__ATIME in
// Clr and the mode in Set.
type Attr struct {
	Set, Clr uint64
}

// IsZero reports whether the change does nothing.
func (a Attr) IsZero() bool { return a.Set == 0 && a.Clr == 0 }

// Propagation is one propagation change (MS_SHARED, MS_SLAVE, MS_PRIVATE or
// MS_UNBINDABLE), of the mount alone or of the whole tree below it.
type Propagation struct {
	Type      uint64
	Recursive bool
}

// Change is one mount_setattr(2) call on an existing mount.
type Change struct {
	Attr        Attr
	Propagation uint64 // 0 for none
	Recursive   bool
}

// Idmap asks for an ID-mapped mount (MOUNT_ATTR_IDMAP).
type Idmap struct {
	UIDs, GIDs []specs.LinuxIDMapping
	Recursive  bool
}

// FS describes a new filesystem mount, in the terms of fsopen(2),
// fsconfig(2) and fsmount(2).
type FS struct {
	Type   string
	Source string
	// SBFlags are superblock flags given to fsconfig as flags: ro, sync,
	// dirsync, lazytime, mand.
	SBFlags []string
	// Data are filesystem options, "key" or "key=value", in order.
	Data []string
	// Attr are the MOUNT_ATTR_* flags of the new mount.
	Attr uint64
	// Idmap, when set, makes the mount ID-mapped before it is attached.
	Idmap *Idmap
	// Propagation is applied, in order, once the mount is attached.
	Propagation []Propagation
	// CopyUp copies what the destination directory holds into the new
	// filesystem before it covers it (tmpcopyup).
	CopyUp bool
	// Strict refuses a destination whose last component is not a real
	// directory (a symlink in particular): procfs and sysfs must not be
	// mounted through a symlink (CVE-2019-19921).
	Strict bool
	// OnProc permits a destination inside a procfs. Without it such a
	// destination is refused, so that a symlink in the image cannot turn
	// a mount into a cover over /proc/self/attr and the like
	// (CVE-2019-16884).
	OnProc bool
}

// Source is where a bind mount comes from.
type Source struct {
	// Path is a host path, or a container path when InRoot is set.
	Path   string
	InRoot bool
	// CharDev, when not zero, requires the source to be the character
	// device with that number (checked on the opened file, so without race).
	CharDev uint64
}

// Bind describes a bind mount in the terms of open_tree(2) and
// mount_setattr(2).
type Bind struct {
	Source    Source
	Recursive bool // rbind: clone the whole tree, not only the top mount
	// Attr changes the top mount, RecAttr every mount of the tree, in that
	// order, before the clone is attached. A change that would not alter the
	// clone's current flags is not made.
	Attr, RecAttr Attr
	Idmap         *Idmap
	Propagation   []Propagation
	Strict        bool // as FS.Strict
	OnProc        bool // as FS.OnProc
}
