package snapshot

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	digest "github.com/opencontainers/go-digest"
	"golang.org/x/sys/unix"
)

// emptyDir is the lower layer of an image without layers: overlayfs needs
// at least one.
const emptyDir = ".empty"

// Mount mounts at target the overlay of the snapshots chain (bottom layer
// first, as an image lists them) under the writable upper directory with
// its work directory. Both must exist, on one file system. The chain's
// snapshots must exist; the caller keeps them from being removed while the
// mount lives.
//
// Volatile skips every sync of the upper directory, unmounting included:
// an overlay's unmount otherwise syncs the whole file system under it,
// which on a busy disk takes long. It is for containers whose changes are
// thrown away when they end (--rm); after a crash such an upper directory
// cannot be mounted again.
func (s *Store) Mount(target string, chain []digest.Digest, upper, work string, volatile bool) error {
	lowers, err := s.lowerDirs(chain)
	if err != nil {
		return fmt.Errorf("mount %s: %w", target, err)
	}
	opts := overlayOptions
	if volatile {
		opts = append(opts[:len(opts):len(opts)], [2]string{"volatile", ""})
	}
	err = mountNewAPI(target, lowers, upper, work, opts)
	if errors.Is(err, unix.ENOSYS) || errors.Is(err, unix.EINVAL) {
		// Kernels before 6.8 know no "lowerdir+" (and before 5.2 no fsopen).
		err = s.mountClassic(target, lowers, upper, work, opts)
	}
	if err != nil {
		return fmt.Errorf("mount overlay at %s: %w", target, err)
	}
	return nil
}

// lowerDirs lists the snapshot directories top first, as overlayfs wants.
func (s *Store) lowerDirs(chain []digest.Digest) ([]string, error) {
	if len(chain) == 0 {
		dir := filepath.Join(s.root, emptyDir)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, err
		}
		return []string{dir}, nil
	}
	out := make([]string, 0, len(chain))
	for i := len(chain) - 1; i >= 0; i-- {
		out = append(out, s.Path(chain[i]))
	}
	return out, nil
}

// overlayOptions keep the upper directory in the plain form layer.Diff
// reads: no index, no redirects, no metacopy, whatever the kernel defaults.
var overlayOptions = [][2]string{{"index", "off"}, {"redirect_dir", "off"}, {"metacopy", "off"}}

// mountNewAPI uses fsopen/fsconfig, which take each lower directory as its
// own parameter ("lowerdir+"), so no chain is too long for one page of
// mount data.
func mountNewAPI(target string, lowers []string, upper, work string, opts [][2]string) error {
	fd, err := unix.Fsopen("overlay", unix.FSOPEN_CLOEXEC)
	if err != nil {
		return &os.PathError{Op: "fsopen", Path: "overlay", Err: err}
	}
	defer unix.Close(fd)
	set := func(k, v string) error {
		if err := unix.FsconfigSetString(fd, k, v); err != nil {
			return fmt.Errorf("fsconfig %s=%s: %w", k, v, err)
		}
		return nil
	}
	for _, l := range lowers {
		if err := set("lowerdir+", l); err != nil {
			return err
		}
	}
	if err := set("upperdir", upper); err != nil {
		return err
	}
	if err := set("workdir", work); err != nil {
		return err
	}
	for _, o := range opts {
		var err error
		if o[1] == "" {
			if err = unix.FsconfigSetFlag(fd, o[0]); err != nil {
				err = fmt.Errorf("fsconfig %s: %w", o[0], err)
			}
		} else {
			err = set(o[0], o[1])
		}
		if err != nil {
			return err
		}
	}
	if err := unix.FsconfigCreate(fd); err != nil {
		return fmt.Errorf("fsconfig create: %w", err)
	}
	mfd, err := unix.Fsmount(fd, unix.FSMOUNT_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("fsmount: %w", err)
	}
	defer unix.Close(mfd)
	if err := unix.MoveMount(mfd, "", unix.AT_FDCWD, target, unix.MOVE_MOUNT_F_EMPTY_PATH); err != nil {
		return &os.PathError{Op: "move_mount", Path: target, Err: err}
	}
	return nil
}

// mountClassic uses mount(2). Its data must fit in a page, so when the
// absolute paths are too long the lower directories are named relative to
// the store, from a thread whose working directory alone is moved there.
func (s *Store) mountClassic(target string, lowers []string, upper, work string, options [][2]string) error {
	var opts []string
	for _, o := range options {
		if o[1] == "" {
			opts = append(opts, o[0])
		} else {
			opts = append(opts, o[0]+"="+o[1])
		}
	}
	tail := ",upperdir=" + upper + ",workdir=" + work + "," + strings.Join(opts, ",")
	data := "lowerdir=" + strings.Join(lowers, ":") + tail
	if len(data) < os.Getpagesize() {
		return unix.Mount("overlay", target, "overlay", 0, data)
	}
	rel := make([]string, len(lowers))
	for i, l := range lowers {
		r, err := filepath.Rel(s.root, l)
		if err != nil {
			return err
		}
		rel[i] = r
	}
	data = "lowerdir=" + strings.Join(rel, ":") + tail
	if len(data) >= os.Getpagesize() {
		return fmt.Errorf("%d layers are too many for mount(2) on this kernel: %w", len(lowers), unix.E2BIG)
	}
	return inDir(s.root, func() error { return unix.Mount("overlay", target, "overlay", 0, data) })
}

// inDir runs fn on a thread whose working directory is dir, without moving
// the working directory of the rest of the process: the thread unshares
// its file system attributes first and is discarded afterwards.
func inDir(dir string, fn func() error) error {
	done := make(chan error, 1)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread dies with the goroutine
		if err := unix.Unshare(unix.CLONE_FS); err != nil {
			done <- fmt.Errorf("unshare: %w", err)
			return
		}
		if err := unix.Chdir(dir); err != nil {
			done <- &os.PathError{Op: "chdir", Path: dir, Err: err}
			return
		}
		done <- fn()
	}()
	return <-done
}

// Unmount unmounts target, lazily when it is busy (a process still has a
// file open in it): the mount leaves the tree at once either way.
func Unmount(target string) error {
	err := unix.Unmount(target, 0)
	if errors.Is(err, unix.EBUSY) {
		err = unix.Unmount(target, unix.MNT_DETACH)
	}
	if err != nil && !errors.Is(err, unix.EINVAL) && !errors.Is(err, unix.ENOENT) {
		return &os.PathError{Op: "umount", Path: target, Err: err}
	}
	return nil
}

// IsMounted reports whether something is mounted at target, by comparing
// its device with its parent's. A missing target is not mounted.
func IsMounted(target string) (bool, error) {
	var st, parent unix.Stat_t
	if err := unix.Lstat(target, &st); err != nil {
		if errors.Is(err, unix.ENOENT) {
			return false, nil
		}
		return false, &os.PathError{Op: "lstat", Path: target, Err: err}
	}
	if err := unix.Lstat(filepath.Dir(target), &parent); err != nil {
		return false, &os.PathError{Op: "lstat", Path: filepath.Dir(target), Err: err}
	}
	return st.Dev != parent.Dev || st.Ino == parent.Ino, nil
}
