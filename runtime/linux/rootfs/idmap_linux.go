package rootfs

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
	"unsafe"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/berth-oci/berth/errdefs"
)

// setIdmap makes the detached mount mfd ID-mapped (mount_setattr(2)
// MOUNT_ATTR_IDMAP) with a user namespace that holds the mappings of m.
func setIdmap(mfd int, p string, m *Idmap) error {
	if m == nil {
		return nil
	}
	nsfd, err := newUserns(m.UIDs, m.GIDs)
	if err != nil {
		return fmt.Errorf("idmap %s: %w", p, err)
	}
	defer unix.Close(nsfd)
	flags := uint(unix.AT_EMPTY_PATH)
	if m.Recursive {
		flags |= unix.AT_RECURSIVE
	}
	attr := unix.MountAttr{Attr_set: unix.MOUNT_ATTR_IDMAP, Userns_fd: uint64(nsfd)}
	if err := unix.MountSetattr(mfd, "", flags, &attr); err != nil {
		return &os.PathError{Op: "mount_setattr idmap " + describeIdmap(m), Path: p, Err: err}
	}
	return nil
}

// newUserns returns a descriptor of a new user namespace with the given
// mappings. A Go process cannot unshare(CLONE_NEWUSER) (it has threads), so
// a forked child that does nothing holds the namespace while its maps are
// written and a descriptor is opened; then it is killed and reaped.
func newUserns(uids, gids []specs.LinuxIDMapping) (int, error) {
	pid, pidfd, errno := forkInUserns()
	if errno != 0 {
		return -1, &os.SyscallError{Syscall: "clone(CLONE_NEWUSER)", Err: errno}
	}
	defer func() {
		_ = unix.Kill(pid, unix.SIGKILL)
		var ws unix.WaitStatus
		for {
			if _, err := unix.Wait4(pid, &ws, 0, nil); err != unix.EINTR {
				break
			}
		}
		unix.Close(pidfd)
	}()
	// The init may be in a new PID namespace while /proc is still the
	// host's: the child's number there is in the pidfd's fdinfo.
	procPid, err := pidInProc(pidfd)
	if err != nil {
		return -1, err
	}
	proc := "/proc/" + procPid
	if err := writeMap(proc+"/uid_map", uids); err != nil {
		return -1, err
	}
	if err := writeMap(proc+"/gid_map", gids); err != nil {
		return -1, err
	}
	fd, err := unix.Open(proc+"/ns/user", unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return -1, &os.PathError{Op: "open", Path: proc + "/ns/user", Err: err}
	}
	return fd, nil
}

// pidInProc reads the number of the process a pidfd refers to in the PID
// namespace of the /proc mount.
func pidInProc(pidfd int) (string, error) {
	p := "/proc/self/fdinfo/" + strconv.Itoa(pidfd)
	b, err := os.ReadFile(p)
	if err != nil {
		return "", err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "Pid:"); ok {
			v = strings.TrimSpace(v)
			if n, err := strconv.Atoi(v); err != nil || n <= 0 {
				return "", &os.PathError{Op: "read", Path: p, Err: fmt.Errorf("process not visible in /proc (Pid: %s)", v)}
			}
			return v, nil
		}
	}
	return "", &os.PathError{Op: "read", Path: p, Err: fmt.Errorf("no Pid line")}
}

func writeMap(file string, ms []specs.LinuxIDMapping) error {
	var b strings.Builder
	for _, m := range ms {
		fmt.Fprintf(&b, "%d %d %d\n", m.ContainerID, m.HostID, m.Size)
	}
	fd, err := unix.Open(file, unix.O_WRONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return &os.PathError{Op: "open", Path: file, Err: err}
	}
	_, werr := unix.Write(fd, []byte(b.String()))
	cerr := unix.Close(fd)
	if werr != nil {
		return &os.PathError{Op: "write", Path: file, Err: fmt.Errorf("%q: %w", b.String(), werr)}
	}
	if cerr != nil {
		return &os.PathError{Op: "close", Path: file, Err: cerr}
	}
	return nil
}

// forkInUserns forks a child in a new user namespace that only waits to be
// killed, and returns its pid and a pidfd. The child runs nothing but raw
// system calls from this nosplit frame: after fork it has one thread and no
// working Go runtime, exactly as in syscall.forkAndExecInChild.
//
//go:norace
//go:nosplit
func forkInUserns() (int, int, syscall.Errno) {
	var pidfd int32 = -1
	flags := uintptr(syscall.CLONE_NEWUSER | unix.CLONE_PIDFD | syscall.SIGCHLD)
	pid, _, errno := syscall.RawSyscall6(syscall.SYS_CLONE, flags, 0, uintptr(unsafe.Pointer(&pidfd)), 0, 0, 0)
	if errno != 0 || pid != 0 {
		return int(pid), int(pidfd), errno
	}
	syscall.RawSyscall(syscall.SYS_PRCTL, syscall.PR_SET_PDEATHSIG, uintptr(syscall.SIGKILL), 0)
	for {
		// ppoll(NULL, 0, NULL, NULL) sleeps until a signal, on every arch.
		syscall.RawSyscall6(syscall.SYS_PPOLL, 0, 0, 0, 0, 0, 0)
	}
}

// idmapOf returns the ID mapping a mount asks for with "idmap", "ridmap"
// or its own uidMappings/gidMappings; nil when none.
func idmapOf(spec *specs.Spec, mnt specs.Mount, o mountOptions) (*Idmap, error) {
	if !o.idmap && len(mnt.UIDMappings) == 0 && len(mnt.GIDMappings) == 0 {
		return nil, nil
	}
	if len(mnt.UIDMappings) == 0 || len(mnt.GIDMappings) == 0 {
		return nil, fmt.Errorf("an idmap mount needs both uidMappings and gidMappings: %w", errdefs.ErrInvalidArgument)
	}
	return &Idmap{UIDs: mnt.UIDMappings, GIDs: mnt.GIDMappings, Recursive: o.ridmap}, nil
}

// checkIdmap refuses, before anything is mounted, the ID-mapped mounts
// that cannot be made. In a new user namespace the init lacks
// CAP_SYS_ADMIN over the source filesystems, so the source would have to be
// cloned by the runtime outside the namespace and handed over: not done.
func checkIdmap(spec *specs.Spec, mnt specs.Mount, opts Options) error {
	o := parseOptions(mnt.Options)
	if !o.idmap && len(mnt.UIDMappings) == 0 && len(mnt.GIDMappings) == 0 {
		return nil
	}
	if opts.UserNS {
		return fmt.Errorf("idmap mounts in a container with a new user namespace: %w", errdefs.ErrNotImplemented)
	}
	if len(mnt.UIDMappings) == 0 && len(mnt.GIDMappings) == 0 {
		return fmt.Errorf("idmap without uidMappings and gidMappings needs a user namespace to take the mappings from: %w", errdefs.ErrInvalidArgument)
	}
	_, err := idmapOf(spec, mnt, o)
	return err
}
