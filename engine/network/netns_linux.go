package network

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"

	"github.com/berth-oci/berth/errdefs"
	"golang.org/x/sys/unix"
)

// netnsDir is where NewNetNS keeps the namespaces, under the run root.
const netnsDir = "netns"

// NetNSPath is where NewNetNS puts the network namespace of containerID.
func NetNSPath(runroot, containerID string) string {
	return filepath.Join(runroot, netnsDir, containerID)
}

// NewNetNS creates a network namespace for containerID, with its loopback
// interface up, and keeps it alive by a bind mount at
// NetNSPath(runroot, containerID), whether or not any process is in it.
// The path is what the engine puts in config.json
// (linux.namespaces[network].path) and hands to Setup. It fails with
// ErrAlreadyExists when the container has one already. RemoveNetNS ends it.
func NewNetNS(runroot, containerID string) (string, error) {
	if err := checkID(containerID); err != nil {
		return "", err
	}
	p := NetNSPath(runroot, containerID)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return "", fmt.Errorf("create network namespace: %w", err)
	}
	f, err := os.OpenFile(p, os.O_RDONLY|os.O_CREATE|os.O_EXCL, 0o444)
	if errors.Is(err, os.ErrExist) {
		return "", fmt.Errorf("create network namespace %s: %w", p, errdefs.ErrAlreadyExists)
	}
	if err != nil {
		return "", fmt.Errorf("create network namespace: %w", err)
	}
	if err := f.Close(); err != nil {
		os.Remove(p)
		return "", fmt.Errorf("create network namespace: %w", err)
	}
	if err := onFreshThread(func() error { return unshareInto(p) }); err != nil {
		return "", errors.Join(fmt.Errorf("create network namespace %s: %w", p, err), RemoveNetNS(p))
	}
	return p, nil
}

// unshareInto moves the calling thread into a new network namespace, pins
// it with a bind mount on p and brings its loopback interface up (the
// runtime does that only for namespaces it creates itself).
func unshareInto(p string) error {
	if err := unix.Unshare(unix.CLONE_NEWNET); err != nil {
		return &os.SyscallError{Syscall: "unshare(CLONE_NEWNET)", Err: err}
	}
	src := fmt.Sprintf("/proc/self/task/%d/ns/net", unix.Gettid())
	if err := unix.Mount(src, p, "none", unix.MS_BIND, ""); err != nil {
		return &os.PathError{Op: "bind mount " + src, Path: p, Err: err}
	}
	return linkUp("lo")
}

// RemoveNetNS unmounts and removes a namespace made by NewNetNS. The
// namespace itself ends when no process is left in it. Removing one that
// is gone already is not an error. Call it after Teardown: the plugins
// find the container's interfaces through the namespace.
func RemoveNetNS(path string) error {
	// Since Linux 3.18 copies of this mount in other mount namespaces (a
	// container's, before its pivot_root drops them) do not keep the file
	// busy: unlinking it detaches them too.
	err := unix.Unmount(path, unix.MNT_DETACH)
	if err != nil && err != unix.EINVAL && err != unix.ENOENT {
		return &os.PathError{Op: "unmount network namespace", Path: path, Err: err}
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("remove network namespace: %w", err)
	}
	return nil
}

// IsNetNS reports whether path is a mounted namespace file (nsfs).
func IsNetNS(path string) bool {
	var st unix.Statfs_t
	return unix.Statfs(path, &st) == nil && st.Type == unix.NSFS_MAGIC
}

// RunInNetNS calls fn on a thread inside the network namespace at path.
// Sockets fn opens stay in that namespace after it returns, so a listener
// made there keeps serving from any goroutine. fn must not start
// goroutines that expect to be in the namespace.
func RunInNetNS(path string, fn func() error) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("enter network namespace: %w", err)
	}
	defer f.Close()
	return onFreshThread(func() error {
		if err := unix.Setns(int(f.Fd()), unix.CLONE_NEWNET); err != nil {
			return &os.PathError{Op: "setns", Path: path, Err: err}
		}
		return fn()
	})
}

// onFreshThread runs fn on an OS thread locked to a goroutine of its
// own, then moves the thread back to the network namespace it started in.
// Only when that works is the thread given back to the Go runtime; else
// the goroutine exits locked and takes the thread with it, so no other
// goroutine ever runs in a namespace fn moved the thread into.
func onFreshThread(fn func() error) error {
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		orig, err := os.Open("/proc/thread-self/ns/net")
		if err != nil {
			runtime.UnlockOSThread()
			errc <- fmt.Errorf("open this thread's network namespace: %w", err)
			return
		}
		defer orig.Close()
		err = fn()
		if unix.Setns(int(orig.Fd()), unix.CLONE_NEWNET) == nil {
			runtime.UnlockOSThread()
		}
		errc <- err
	}()
	return <-errc
}

// linkUp sets the IFF_UP flag of the interface name in the calling
// thread's network namespace.
func linkUp(name string) error {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return &os.SyscallError{Syscall: "socket", Err: err}
	}
	defer unix.Close(fd)
	ifr, err := unix.NewIfreq(name)
	if err != nil {
		return fmt.Errorf("interface %s: %w", name, err)
	}
	if err := unix.IoctlIfreq(fd, unix.SIOCGIFFLAGS, ifr); err != nil {
		return fmt.Errorf("get flags of %s: %w", name, err)
	}
	ifr.SetUint16(ifr.Uint16() | unix.IFF_UP)
	if err := unix.IoctlIfreq(fd, unix.SIOCSIFFLAGS, ifr); err != nil {
		return fmt.Errorf("bring %s up: %w", name, err)
	}
	return nil
}

// NSIdentity tells namespaces apart: the device and inode of their nsfs
// file. A path such as /proc/PID/ns/net may later name another namespace
// (the PID reused); the identity recorded at Setup says whether it does.
type NSIdentity struct {
	Dev uint64 `json:"dev"`
	Ino uint64 `json:"ino"`
}

func netnsIdentity(path string) (NSIdentity, error) {
	var st unix.Stat_t
	if err := unix.Stat(path, &st); err != nil {
		return NSIdentity{}, &os.PathError{Op: "stat", Path: path, Err: err}
	}
	return NSIdentity{Dev: st.Dev, Ino: st.Ino}, nil
}

// hostNetNS is the identity of the calling thread's network namespace,
// which is this process's: no goroutine runs elsewhere (onFreshThread).
func hostNetNS() (NSIdentity, error) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	return netnsIdentity("/proc/thread-self/ns/net")
}

// sameNetNS reports whether path is still the namespace with identity id,
// and not this process's own.
func sameNetNS(path string, id NSIdentity) bool {
	if !IsNetNS(path) {
		return false
	}
	got, err := netnsIdentity(path)
	if err != nil || got != id {
		return false
	}
	host, err := hostNetNS()
	return err == nil && host != got
}

// pinNetNS keeps the namespace at src alive at NetNSPath(runroot, id) by
// a bind mount, so that it outlives the processes in it until Teardown.
func pinNetNS(runroot, id, src string) (string, error) {
	p := NetNSPath(runroot, id)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return "", fmt.Errorf("pin network namespace: %w", err)
	}
	f, err := os.OpenFile(p, os.O_RDONLY|os.O_CREATE|os.O_EXCL, 0o444)
	if errors.Is(err, os.ErrExist) {
		return "", fmt.Errorf("pin network namespace %s: %s exists: %w", src, p, errdefs.ErrAlreadyExists)
	}
	if err != nil {
		return "", fmt.Errorf("pin network namespace: %w", err)
	}
	if err := f.Close(); err != nil {
		return "", errors.Join(fmt.Errorf("pin network namespace: %w", err), os.Remove(p))
	}
	if err := unix.Mount(src, p, "none", unix.MS_BIND, ""); err != nil {
		return "", errors.Join(&os.PathError{Op: "bind mount " + src, Path: p, Err: err}, os.Remove(p))
	}
	return p, nil
}
