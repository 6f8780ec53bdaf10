package runtime

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// The re-executed init must come from a binary the container cannot write:
// its processes reach the init's executable through /proc/<pid>/exe, and
// writing through it must not reach the runtime's binary on the host
// (CVE-2019-5736). The runtime keeps one copy of itself under Root on a
// read-only bind mount, made on first use and reused by every create after
// (a copy per create costs a 6 MB copy and the pages it fills); when that
// cannot be made it falls back to a sealed memfd copy.

// exeDir holds the read-only copies; "@" keeps it apart from container IDs.
const exeDir = "@exe"

// initBinary opens the binary to re-execute as init: the running one, or
// the joiner it carries (see RegisterJoiner).
func (r *Runtime) initBinary(joiner bool) (*os.File, error) {
	f, err := r.readOnlyCopy(joiner)
	if err == nil {
		return f, nil
	}
	r.log().Debug("no read-only copy of the runtime binary: using a sealed memfd", "err", err)
	return sealedMemfd(joiner)
}

// openSource opens the executable image to copy: the running binary, or
// the joiner.
func openSource(joiner bool) (io.ReadCloser, error) {
	if joiner {
		return io.NopCloser(bytes.NewReader(joinerBinary)), nil
	}
	f, err := os.Open("/proc/self/exe")
	if err != nil {
		return nil, fmt.Errorf("open runtime binary: %w", err)
	}
	return f, nil
}

func (r *Runtime) readOnlyCopy(joiner bool) (*os.File, error) {
	var st unix.Stat_t
	if err := unix.Stat("/proc/self/exe", &st); err != nil {
		return nil, fmt.Errorf("stat runtime binary: %w", err)
	}
	// Named after the binary's identity: an upgraded binary gets copies of
	// its own. The joiner is part of the binary, so it shares the identity.
	dir := filepath.Join(r.root(), exeDir)
	base := fmt.Sprintf("berth-runtime-%x-%x-%x-%x", st.Dev, st.Ino, st.Size, st.Mtim.Nano())
	name := base
	if joiner {
		name += "-joiner"
	}
	path := filepath.Join(dir, name)
	if f, err := openReadOnly(path); err == nil {
		return f, nil
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	l, err := lockDir(dir)
	if err != nil {
		return nil, err
	}
	defer l.unlock()
	if f, err := openReadOnly(path); err == nil {
		return f, nil // made by a create that held the lock before us
	}
	if err := makeReadOnlyCopy(dir, name, base, joiner); err != nil {
		return nil, err
	}
	return openReadOnly(path)
}

// openReadOnly opens path if it sits on a read-only mount.
func openReadOnly(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|unix.O_NOFOLLOW, 0)
	if err != nil {
		return nil, err
	}
	var s unix.Statfs_t
	if err := unix.Fstatfs(int(f.Fd()), &s); err != nil || s.Flags&unix.ST_RDONLY == 0 {
		f.Close()
		return nil, fmt.Errorf("%s is not on a read-only mount", path)
	}
	return f, nil
}

// makeReadOnlyCopy copies the running binary (or its joiner) to dir/name,
// binds the copy onto itself read-only, and drops the copies of other
// binaries than base (an init still running from one keeps it: the
// detached mount lives on).
func makeReadOnlyCopy(dir, name, base string, joiner bool) error {
	path := filepath.Join(dir, name)
	tmp := path + ".tmp"
	if err := copyFile(joiner, tmp); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("install runtime copy: %w", err)
	}
	if err := unix.Mount(path, path, "", unix.MS_BIND, ""); err != nil {
		return fmt.Errorf("bind runtime copy %s: %w", path, err)
	}
	flags := uintptr(unix.MS_BIND | unix.MS_REMOUNT | unix.MS_RDONLY | unix.MS_NOSUID | unix.MS_NODEV)
	if err := unix.Mount("", path, "", flags, ""); err != nil {
		unix.Unmount(path, unix.MNT_DETACH)
		return fmt.Errorf("make runtime copy %s read-only: %w", path, err)
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if e.Name() != base && e.Name() != base+"-joiner" {
			old := filepath.Join(dir, e.Name())
			unix.Unmount(old, unix.MNT_DETACH)
			os.Remove(old)
		}
	}
	return nil
}

func copyFile(joiner bool, dst string) (err error) {
	in, err := openSource(joiner)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_TRUNC|unix.O_NOFOLLOW, 0o555)
	if err != nil {
		return fmt.Errorf("copy runtime binary: %w", err)
	}
	if _, err = io.Copy(out, in); err == nil {
		err = out.Sync()
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(dst)
		return fmt.Errorf("copy runtime binary: %w", err)
	}
	return nil
}

// sealedMemfd returns a copy of the running binary (or its joiner) in a
// memfd sealed against writes and resizing.
func sealedMemfd(joiner bool) (*os.File, error) {
	src, err := openSource(joiner)
	if err != nil {
		return nil, err
	}
	defer src.Close()
	fd, err := unix.MemfdCreate("berth-runtime", unix.MFD_CLOEXEC|unix.MFD_ALLOW_SEALING)
	if err != nil {
		return nil, fmt.Errorf("memfd_create: %w", err)
	}
	f := os.NewFile(uintptr(fd), "berth-runtime")
	if _, err := io.Copy(f, src); err != nil {
		f.Close()
		return nil, fmt.Errorf("copy runtime binary: %w", err)
	}
	const seals = unix.F_SEAL_SEAL | unix.F_SEAL_SHRINK | unix.F_SEAL_GROW | unix.F_SEAL_WRITE
	if _, err := unix.FcntlInt(uintptr(fd), unix.F_ADD_SEALS, seals); err != nil {
		f.Close()
		return nil, fmt.Errorf("seal runtime copy: %w", err)
	}
	return f, nil
}
