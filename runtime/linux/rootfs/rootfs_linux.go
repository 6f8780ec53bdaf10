package rootfs

import (
	"errors"
	"fmt"
	"path/filepath"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/berth-oci/berth/errdefs"
)

// Options is what Prepare, Pivot and Finish need besides the spec.
type Options struct {
	// Bundle is the absolute bundle directory; relative bind sources are
	// resolved against it.
	Bundle string
	// Rootfs is the absolute rootfs path (spec.Root.Path resolved against
	// Bundle).
	Rootfs string
	// NoPivot (--no-pivot) moves the rootfs onto "/" and chroots instead of
	// pivot_root(2), for a root on a ramfs where pivot_root is refused.
	NoPivot bool
	// ConsolePath is the path of the pty slave to bind onto /dev/console,
	// "" without a terminal. It is a path of the runtime's view (Prepare
	// opens it before the pivot).
	ConsolePath string
	// CgroupMountinfo, when not nil, are the cgroup and cgroup2 lines of
	// mountinfo as the caller's mount namespace had them when it was made
	// (the runtime's parent reads them while the init boots); nil reads
	// /proc/self/mountinfo. Only a "cgroup" mount uses them.
	CgroupMountinfo []byte
	// UserNS says that the caller runs in a new user namespace: device
	// nodes cannot be made with mknod(2) and are bind-mounted from the host.
	UserNS bool
	// Kernel is the seam to the kernel; nil means Host(). Tests pass a fake
	// that records the calls.
	Kernel Kernel
}

func (o Options) kernel() Kernel {
	if o.Kernel != nil {
		return o.Kernel
	}
	return Host()
}

// Prepare builds the container's filesystem view under opts.Rootfs. It must
// run in the container's new mount namespace, before the pivot: it sets the
// propagation of "/" (rootfsPropagation; rslave by default), binds the
// rootfs onto itself, mounts every entry of spec.Mounts in order, then
// creates the default devices, linux.devices, the /dev symlinks and
// /dev/ptmx (unless /dev is a bind mount), and binds the console.
func Prepare(spec *specs.Spec, opts Options) error {
	if err := validate(spec, opts); err != nil {
		return err
	}
	k := opts.kernel()
	if err := checkHostNamespaces(k, spec); err != nil {
		return err
	}
	if err := prepareRoot(k, spec, opts.Rootfs); err != nil {
		return fmt.Errorf("prepare rootfs %s: %w", opts.Rootfs, err)
	}
	r, err := k.OpenRoot(opts.Rootfs)
	if err != nil {
		return fmt.Errorf("prepare rootfs: %w", err)
	}
	m := &mounter{k: k, r: r, spec: spec, opts: opts}
	err = m.prepare()
	if cerr := r.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("prepare rootfs: %w", cerr)
	}
	return err
}

func (m *mounter) prepare() error {
	if err := m.loadLabel(); err != nil {
		return err
	}
	for i, mnt := range m.spec.Mounts {
		if err := m.mount(mnt); err != nil {
			return fmt.Errorf("mounts[%d] (%s %q on %q): %w", i, mountKind(mnt), mnt.Source, mnt.Destination, err)
		}
	}
	if needsDev(m.spec) {
		if err := m.devices(); err != nil {
			return fmt.Errorf("set up /dev: %w", err)
		}
	}
	if m.opts.ConsolePath != "" {
		if err := m.r.Bind("/dev/console", &Bind{Source: Source{Path: m.opts.ConsolePath}}); err != nil {
			return fmt.Errorf("bind console %s onto /dev/console: %w", m.opts.ConsolePath, err)
		}
	}
	return nil
}

// Pivot makes the prepared rootfs the root: pivot_root(2), or with
// opts.NoPivot a move of the rootfs onto "/" and chroot(2). Afterwards the
// working directory is "/", the standard descriptors that pointed at the
// host's /dev/null point at the container's, and a "shared" or "rshared"
// rootfsPropagation is applied (pivot_root refuses a shared root).
func Pivot(spec *specs.Spec, opts Options) error {
	if opts.Rootfs == "" || !filepath.IsAbs(opts.Rootfs) {
		return fmt.Errorf("pivot: rootfs %q is not an absolute path: %w", opts.Rootfs, errdefs.ErrInvalidArgument)
	}
	k := opts.kernel()
	var err error
	if opts.NoPivot {
		err = k.MoveRoot(opts.Rootfs)
	} else {
		err = k.PivotRoot(opts.Rootfs)
	}
	if err != nil {
		return fmt.Errorf("pivot into rootfs %s: %w", opts.Rootfs, err)
	}
	if flags := sharedAfterPivot(spec); flags != 0 {
		if err := k.Mount("", "/", "", flags, ""); err != nil {
			return fmt.Errorf("apply rootfsPropagation %q: %w", spec.Linux.RootfsPropagation, err)
		}
	}
	if needsDev(spec) {
		if err := k.ReopenDevNull(); err != nil {
			return fmt.Errorf("reopen /dev/null: %w", err)
		}
	}
	return nil
}

// Finish completes the view after the pivot, before the user process: it
// makes read-only the tmpfs mounts (and /dev) that asked for "ro" (they
// stayed writable so that devices and mount points could be made in them),
// then the root when root.readonly is set, writes linux.sysctl, and applies
// linux.readonlyPaths and linux.maskedPaths.
func Finish(spec *specs.Spec, opts Options) error {
	if spec == nil {
		return fmt.Errorf("finish rootfs: no spec: %w", errdefs.ErrInvalidArgument)
	}
	if err := checkSysctl(spec); err != nil {
		return err
	}
	r, err := opts.kernel().OpenRoot("/")
	if err != nil {
		return fmt.Errorf("finish rootfs: %w", err)
	}
	err = finish(r, spec)
	if cerr := r.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("finish rootfs: %w", cerr)
	}
	return err
}

// BindConsole binds the pty slave at slave, a path of the current root,
// onto /dev/console. It is for a runtime that allocates the pty from the
// container's own /dev/ptmx after Pivot, as runc does; call it before
// Finish (which may make /dev read-only). Options.ConsolePath is the
// alternative for a pty allocated before the pivot.
func BindConsole(opts Options, slave string) error {
	r, err := opts.kernel().OpenRoot("/")
	if err != nil {
		return fmt.Errorf("bind console: %w", err)
	}
	err = r.Bind("/dev/console", &Bind{Source: Source{Path: slave, InRoot: true}})
	if cerr := r.Close(); err == nil && cerr != nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("bind console %s onto /dev/console: %w", slave, err)
	}
	return nil
}

// validate checks, before anything changes, what would make Prepare fail
// half-way for a reason known in advance.
func validate(spec *specs.Spec, opts Options) error {
	switch {
	case spec == nil:
		return fmt.Errorf("prepare rootfs: no spec: %w", errdefs.ErrInvalidArgument)
	case opts.Rootfs == "" || !filepath.IsAbs(opts.Rootfs):
		return fmt.Errorf("prepare rootfs: rootfs %q is not an absolute path: %w", opts.Rootfs, errdefs.ErrInvalidArgument)
	case opts.Bundle != "" && !filepath.IsAbs(opts.Bundle):
		return fmt.Errorf("prepare rootfs: bundle %q is not an absolute path: %w", opts.Bundle, errdefs.ErrInvalidArgument)
	}
	if present, _ := namespace(spec, specs.MountNamespace); !present {
		return fmt.Errorf("prepare rootfs: linux.namespaces has no mount namespace; setting up mounts would change the host's: %w", errdefs.ErrInvalidArgument)
	}
	if _, err := rootPropagation(spec); err != nil {
		return err
	}
	var errs []error
	for i, mnt := range spec.Mounts {
		if _, err := destination(mnt.Destination); err != nil {
			errs = append(errs, fmt.Errorf("mounts[%d]: %w", i, err))
		}
		if o := parseOptions(mnt.Options); (o.bind || mnt.Type == "bind") && !o.remount && !filepath.IsAbs(mnt.Source) && opts.Bundle == "" {
			errs = append(errs, fmt.Errorf("mounts[%d]: bind source %q is relative to the bundle, and no bundle was given: %w", i, mnt.Source, errdefs.ErrInvalidArgument))
		}
		if err := checkIdmap(spec, mnt, opts); err != nil {
			errs = append(errs, fmt.Errorf("mounts[%d] (%q): %w", i, mnt.Destination, err))
		}
	}
	if err := checkDevices(spec); err != nil {
		errs = append(errs, err)
	}
	if err := checkSysctl(spec); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// namespace reports whether spec lists a namespace of type t, and its path
// ("" for a new one).
func namespace(spec *specs.Spec, t specs.LinuxNamespaceType) (bool, string) {
	if spec.Linux == nil {
		return false, ""
	}
	for _, ns := range spec.Linux.Namespaces {
		if ns.Type == t {
			return true, ns.Path
		}
	}
	return false, ""
}

// newNamespace reports whether the container gets a new namespace of type t.
func newNamespace(spec *specs.Spec, t specs.LinuxNamespaceType) bool {
	present, p := namespace(spec, t)
	return present && p == ""
}
