package rootfs

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"sort"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

var devNull = unix.Mkdev(1, 3)

// finish runs the steps of Finish in runc's order.
func finish(r Root, spec *specs.Spec) error {
	for i, mnt := range spec.Mounts {
		dest, err := destination(mnt.Destination)
		if err != nil {
			return fmt.Errorf("mounts[%d]: %w", i, err)
		}
		o := parseOptions(mnt.Options)
		if o.bind || o.remount || mnt.Type == "bind" || !deferReadonly(mnt.Type, dest) ||
			o.attr.then(o.recAttr).Set&unix.MOUNT_ATTR_RDONLY == 0 {
			continue
		}
		if err := r.Change(dest, Change{Attr: Attr{Set: unix.MOUNT_ATTR_RDONLY}}); err != nil {
			return fmt.Errorf("mounts[%d]: make %s read-only: %w", i, dest, err)
		}
	}
	if spec.Root != nil && spec.Root.Readonly {
		if err := r.Change("/", Change{Attr: Attr{Set: unix.MOUNT_ATTR_RDONLY}}); err != nil {
			return fmt.Errorf("make the root read-only: %w", err)
		}
	}
	if spec.Linux == nil {
		return nil
	}
	if err := writeSysctls(r, spec.Linux.Sysctl); err != nil {
		return err
	}
	for _, p := range spec.Linux.ReadonlyPaths {
		if err := readonlyPath(r, p); err != nil {
			return fmt.Errorf("make %q read-only: %w", p, err)
		}
	}
	for _, p := range spec.Linux.MaskedPaths {
		if err := maskPath(r, p); err != nil {
			return fmt.Errorf("mask %q: %w", p, err)
		}
	}
	return nil
}

// readonlyPath binds p onto itself and makes the whole tree read-only. Only
// the read-only attribute is added: nosuid, nodev, noexec and the atime
// mode stay as they were (and a locked flag is never cleared). A missing
// path is skipped, as runc does.
func readonlyPath(r Root, p string) error {
	p = path.Clean("/" + p)
	err := r.Bind(p, &Bind{Source: Source{Path: p, InRoot: true}, Recursive: true,
		RecAttr: Attr{Set: unix.MOUNT_ATTR_RDONLY}, OnProc: true})
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return err
}

// maskPath covers a file with the container's /dev/null (checked to be the
// null device) and a directory with an empty read-only tmpfs. Symlinks are
// followed inside the root, so a link cannot point the mask elsewhere; a
// missing path is skipped.
func maskPath(r Root, p string) error {
	p = path.Clean("/" + p)
	st, err := r.Stat(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if st.Mode&unix.S_IFMT == unix.S_IFDIR {
		return r.Mount(p, &FS{Type: "tmpfs", Source: "tmpfs", SBFlags: []string{"ro"},
			Attr: unix.MOUNT_ATTR_RDONLY, OnProc: true})
	}
	return r.Bind(p, &Bind{Source: Source{Path: "/dev/null", InRoot: true, CharDev: devNull}, OnProc: true})
}

func writeSysctls(r Root, sysctl map[string]string) error {
	keys := make([]string, 0, len(sysctl))
	for k := range sysctl {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		rel, _, err := sysctlKey(k)
		if err != nil {
			return err
		}
		if err := r.WriteSysctl(rel, sysctl[k]); err != nil {
			return fmt.Errorf("sysctl %s=%q: %w", k, sysctl[k], err)
		}
	}
	return nil
}
