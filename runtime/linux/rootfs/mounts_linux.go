package rootfs

import (
	"errors"
	"fmt"
	"path"
	"path/filepath"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/berth-oci/berth/errdefs"
)

// mounter carries what Prepare needs from one mount to the next.
type mounter struct {
	k     Kernel
	r     Root
	spec  *specs.Spec
	opts  Options
	label string // SELinux mount label, "" when SELinux is off
}

// destination cleans a mount destination; relative ones are deprecated and
// relative to "/".
func destination(d string) (string, error) {
	if d == "" {
		return "", fmt.Errorf("mount has no destination: %w", errdefs.ErrInvalidArgument)
	}
	p := path.Clean("/" + d)
	if p == "/" {
		return "", fmt.Errorf("mount destination %q would cover the container's root: %w", d, errdefs.ErrInvalidArgument)
	}
	return p, nil
}

// mountKind names a mount for error messages.
func mountKind(mnt specs.Mount) string {
	o := parseOptions(mnt.Options)
	switch {
	case o.remount:
		return "remount"
	case o.rbind:
		return "rbind"
	case o.bind || mnt.Type == "bind":
		return "bind"
	case mnt.Type == "":
		return "mount"
	}
	return mnt.Type
}

func (m *mounter) mount(mnt specs.Mount) error {
	dest, err := destination(mnt.Destination)
	if err != nil {
		return err
	}
	o := parseOptions(mnt.Options)
	idmap, err := idmapOf(m.spec, mnt, o)
	if err != nil {
		return err
	}
	switch {
	case o.remount:
		return m.remount(dest, o)
	case o.bind || mnt.Type == "bind":
		return m.r.Bind(dest, m.bindOf(dest, mnt, o, idmap))
	case mnt.Type == "cgroup":
		return m.cgroup(dest, mnt, o)
	case mnt.Type == "sysfs" && !m.ownNetwork():
		// A sysfs shows the network devices of the mounter's network
		// namespace, and one cannot be mounted from a user namespace
		// that does not own it: the host's /sys is bound instead,
		// read-only all the way down if "ro" was asked.
		return m.r.Bind(dest, &Bind{Source: Source{Path: "/sys"}, Recursive: true,
			RecAttr: o.attr.then(o.recAttr), Propagation: o.prop, Strict: true})
	case mnt.Type == "" || mnt.Type == "none":
		if len(o.prop) > 0 && o.attr.IsZero() && o.recAttr.IsZero() && len(o.data) == 0 {
			return m.propagate(dest, o.prop)
		}
		return fmt.Errorf("mount has no filesystem type and no bind option: %w", errdefs.ErrInvalidArgument)
	}
	fs, err := m.newFS(dest, mnt, o)
	if err != nil {
		return err
	}
	fs.Idmap = idmap
	err = m.r.Mount(dest, fs)
	if mnt.Type == "mqueue" && errors.Is(err, unix.EPERM) && !newNamespace(m.spec, specs.IPCNamespace) {
		// A user namespace may not mount the mqueue of an IPC namespace
		// it does not own: bind the host's, as runc does rootless.
		return m.r.Bind(dest, &Bind{Source: Source{Path: "/dev/mqueue"}, Recursive: true,
			RecAttr: o.attr.then(o.recAttr), Propagation: o.prop})
	}
	return err
}

// newFS translates a filesystem mount.
func (m *mounter) newFS(dest string, mnt specs.Mount, o mountOptions) (*FS, error) {
	attr, sb := o.attr.then(o.recAttr), o.sb
	if deferReadonly(mnt.Type, dest) {
		// Finish makes it read-only, once devices and mount points have
		// been made in it.
		attr.Set &^= unix.MOUNT_ATTR_RDONLY
		sb &^= unix.MS_RDONLY
	}
	data := append([]string(nil), o.data...)
	if mnt.Type == "tmpfs" && !hasData(data, "mode") {
		// A tmpfs over an existing directory keeps that directory's
		// mode (/tmp stays 1777) unless the options say otherwise.
		if st, err := m.r.Stat(dest); err == nil && st.Mode&unix.S_IFMT == unix.S_IFDIR {
			data = append(data, fmt.Sprintf("mode=%o", st.Mode&0o7777))
		}
	}
	return &FS{
		Type:        mnt.Type,
		Source:      mnt.Source,
		SBFlags:     sbFlags(sb),
		Data:        m.withLabel(mnt.Type, data),
		Attr:        attr.Set,
		Propagation: o.prop,
		CopyUp:      o.copyUp && mnt.Type == "tmpfs",
		Strict:      mnt.Type == "proc" || mnt.Type == "sysfs",
		OnProc:      mnt.Type == "proc" || onProcAllowed(dest),
	}, nil
}

// deferReadonly reports whether a read-only mount is first made writable
// (as runc does): /dev and tmpfs mounts get device nodes, mount points or
// copied-up content after they are mounted.
func deferReadonly(fstype, dest string) bool {
	return fstype == "tmpfs" || dest == "/dev"
}

func (m *mounter) bindOf(dest string, mnt specs.Mount, o mountOptions, idmap *Idmap) *Bind {
	src := mnt.Source
	if !filepath.IsAbs(src) {
		src = filepath.Join(m.opts.Bundle, src)
	}
	return &Bind{
		Source:      Source{Path: src},
		Recursive:   o.rbind,
		Attr:        o.attr,
		RecAttr:     o.recAttr,
		Idmap:       idmap,
		Propagation: o.prop,
		OnProc:      onProcAllowed(dest),
	}
}

// remount changes an existing mount: with "bind" its mount attributes only,
// otherwise its superblock too. Flags the options do not name are kept.
func (m *mounter) remount(dest string, o mountOptions) error {
	if !o.bind && (o.sb != 0 || o.sbClr != 0 || len(o.data) > 0) {
		fs := &FS{SBFlags: append(sbFlags(o.sb), sbClearFlags(o.sbClr)...), Data: o.data}
		if err := m.r.Reconfigure(dest, fs); err != nil {
			return err
		}
	}
	if err := m.r.Change(dest, Change{Attr: o.attr}); err != nil {
		return err
	}
	if err := m.r.Change(dest, Change{Attr: o.recAttr, Recursive: true}); err != nil {
		return err
	}
	return m.propagate(dest, o.prop)
}

func (m *mounter) propagate(dest string, prop []Propagation) error {
	for _, p := range prop {
		if err := m.r.Change(dest, Change{Propagation: p.Type, Recursive: p.Recursive}); err != nil {
			return err
		}
	}
	return nil
}

// ownNetwork reports whether the container has a network namespace of its
// own (new or joined), in which a sysfs can be mounted.
func (m *mounter) ownNetwork() bool {
	present, _ := namespace(m.spec, specs.NetworkNamespace)
	return present
}

// procFiles are the files of /proc that lxcfs emulates; runc lets a bind
// mount cover them and refuses any other mount inside /proc.
var procFiles = []string{
	"/proc/cpuinfo", "/proc/diskstats", "/proc/meminfo", "/proc/stat", "/proc/swaps",
	"/proc/uptime", "/proc/loadavg", "/proc/slabinfo", "/proc/net/dev", "/proc/sys/kernel/ns_last_pid",
}

func onProcAllowed(dest string) bool {
	for _, f := range procFiles {
		if dest == f {
			return true
		}
	}
	return false
}

// needsDev reports whether the runtime sets up /dev: not when it is bound
// from somewhere (the host's /dev, typically).
func needsDev(spec *specs.Spec) bool {
	for _, mnt := range spec.Mounts {
		if d, err := destination(mnt.Destination); err == nil && d == "/dev" {
			o := parseOptions(mnt.Options)
			if o.bind || mnt.Type == "bind" {
				return false
			}
		}
	}
	return true
}
