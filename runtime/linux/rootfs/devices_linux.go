package rootfs

import (
	"errors"
	"fmt"
	"io/fs"
	"path"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/berth-oci/berth/errdefs"
)

// defaultDevices are the devices the runtime spec says every container has
// (config-linux.md, "Default Devices"), as runc makes them.
var defaultDevices = []specs.LinuxDevice{
	{Path: "/dev/null", Type: "c", Major: 1, Minor: 3},
	{Path: "/dev/zero", Type: "c", Major: 1, Minor: 5},
	{Path: "/dev/full", Type: "c", Major: 1, Minor: 7},
	{Path: "/dev/random", Type: "c", Major: 1, Minor: 8},
	{Path: "/dev/urandom", Type: "c", Major: 1, Minor: 9},
	{Path: "/dev/tty", Type: "c", Major: 5, Minor: 0},
}

// devLinks are the /dev symlinks of runtime-linux.md.
var devLinks = [][2]string{
	{"/proc/self/fd", "/dev/fd"},
	{"/proc/self/fd/0", "/dev/stdin"},
	{"/proc/self/fd/1", "/dev/stdout"},
	{"/proc/self/fd/2", "/dev/stderr"},
}

// devices makes the default devices (unless linux.devices has the same
// path), linux.devices, the /dev symlinks and /dev/ptmx.
func (m *mounter) devices() error {
	old := m.k.Umask(0) // modes are exactly what the spec says
	defer m.k.Umask(old)
	listed := map[string]bool{}
	if m.spec.Linux != nil {
		for _, d := range m.spec.Linux.Devices {
			listed[path.Clean("/"+d.Path)] = true
		}
	}
	for _, d := range defaultDevices {
		if !listed[d.Path] {
			if err := m.device(d, true); err != nil {
				return err
			}
		}
	}
	if m.spec.Linux != nil {
		for _, d := range m.spec.Linux.Devices {
			if err := m.device(d, false); err != nil {
				return err
			}
		}
	}
	for _, l := range devLinks {
		if err := m.r.Symlink(l[0], l[1]); err != nil && !errors.Is(err, fs.ErrExist) {
			return err
		}
	}
	// /dev/ptmx must be the devpts instance's own ptmx, whatever the image
	// has there.
	if err := m.r.Unlink("/dev/ptmx"); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return m.r.Symlink("pts/ptmx", "/dev/ptmx")
}

// deviceType is the S_IFMT type of a linux.devices entry.
func deviceType(t string) (uint32, error) {
	switch t {
	case "c", "u":
		return unix.S_IFCHR, nil
	case "b":
		return unix.S_IFBLK, nil
	case "p":
		return unix.S_IFIFO, nil
	}
	return 0, fmt.Errorf("device type %q is not c, u, b or p: %w", t, errdefs.ErrInvalidArgument)
}

// checkDevices validates linux.devices before anything is made.
func checkDevices(spec *specs.Spec) error {
	if spec.Linux == nil {
		return nil
	}
	var errs []error
	for i, d := range spec.Linux.Devices {
		if _, err := deviceType(d.Type); err != nil {
			errs = append(errs, fmt.Errorf("linux.devices[%d] (%q): %w", i, d.Path, err))
		}
		if p := path.Clean("/" + d.Path); d.Path == "" || p == "/" {
			errs = append(errs, fmt.Errorf("linux.devices[%d]: path %q is not a file path: %w", i, d.Path, errdefs.ErrInvalidArgument))
		}
		if d.Major < 0 || d.Minor < 0 || d.Major > 0xfffff || d.Minor > 0xfffff {
			errs = append(errs, fmt.Errorf("linux.devices[%d] (%q): device number %d:%d out of range: %w", i, d.Path, d.Major, d.Minor, errdefs.ErrInvalidArgument))
		}
	}
	return errors.Join(errs...)
}

// device makes one device node: mknod(2) where the runtime may, else (in a
// user namespace) a bind mount of the host's node. A default device that
// the image already has as something else is covered by the host's node;
// a listed device there is an error, as the spec requires.
func (m *mounter) device(d specs.LinuxDevice, isDefault bool) error {
	typ, err := deviceType(d.Type)
	if err != nil {
		return err
	}
	p := path.Clean("/" + d.Path)
	dev := unix.Mkdev(uint32(d.Major), uint32(d.Minor))
	if typ == unix.S_IFIFO {
		dev = 0
	}
	perm := uint32(0o666)
	if d.FileMode != nil {
		perm = uint32(*d.FileMode) & 0o7777
	}
	if typ == unix.S_IFIFO || !m.opts.UserNS {
		err := m.r.Mknod(p, typ|perm, dev)
		switch {
		case err == nil:
			return m.chownDevice(d, p)
		case errors.Is(err, fs.ErrExist):
			return m.existingDevice(p, typ, dev, isDefault)
		case !errors.Is(err, fs.ErrPermission) || typ == unix.S_IFIFO:
			return fmt.Errorf("device %s: %w", p, err)
		}
		// EPERM: no CAP_MKNOD (a user namespace the caller did not
		// declare): bind the host's node as in a user namespace.
	}
	if err := m.r.Bind(p, &Bind{Source: Source{Path: p}}); err != nil {
		return fmt.Errorf("device %s: bind from the host: %w", p, err)
	}
	return nil
}

func (m *mounter) chownDevice(d specs.LinuxDevice, p string) error {
	var uid, gid uint32
	if d.UID != nil {
		uid = *d.UID
	}
	if d.GID != nil {
		gid = *d.GID
	}
	if uid == 0 && gid == 0 {
		return nil
	}
	return m.r.Lchown(p, uid, gid)
}

func (m *mounter) existingDevice(p string, typ uint32, dev uint64, isDefault bool) error {
	st, err := m.r.Stat(p)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("device %s: %w", p, err)
	}
	if err == nil && st.Mode&unix.S_IFMT == typ && (typ == unix.S_IFIFO || st.Rdev == dev) {
		return nil
	}
	if isDefault {
		if err := m.r.Bind(p, &Bind{Source: Source{Path: p}}); err != nil {
			return fmt.Errorf("device %s: cover the image's file with the host's node: %w", p, err)
		}
		return nil
	}
	return fmt.Errorf("device %s: a file that is not device %d:%d of that type exists there: %w",
		p, unix.Major(dev), unix.Minor(dev), errdefs.ErrAlreadyExists)
}
