package rootfs

import (
	"fmt"
	"os"
	"path"
	"strings"

	"golang.org/x/sys/unix"
)

// fakeKernel records every call of the rootfs logic as one line, and keeps
// a map of the container paths that exist so that the logic's decisions
// (create or not, directory or file) can be steered.
type fakeKernel struct {
	calls     []string
	files     map[string]FileInfo // container paths that exist
	host      map[string]FileInfo // host paths for HostStat
	hostFiles map[string]string   // host files for ReadFile
	fsTypes   map[string]int64
	fail      map[string]error // a call whose line starts with the key fails
	umask     int
}

func newFake() *fakeKernel {
	return &fakeKernel{
		files:     map[string]FileInfo{"/": {Mode: unix.S_IFDIR | 0o755}},
		host:      map[string]FileInfo{},
		hostFiles: map[string]string{},
		fsTypes:   map[string]int64{cgroupRoot: unix.TMPFS_MAGIC},
		fail:      map[string]error{},
		umask:     0o22,
	}
}

func (f *fakeKernel) record(format string, args ...any) error {
	line := fmt.Sprintf(format, args...)
	for prefix, err := range f.fail {
		if strings.HasPrefix(line, prefix) {
			f.calls = append(f.calls, line+" FAILED")
			return err
		}
	}
	f.calls = append(f.calls, line)
	return nil
}

func (f *fakeKernel) exists(p string) bool { _, ok := f.files[p]; return ok }

func (f *fakeKernel) add(p string, mode uint32) {
	for d := path.Dir(p); !f.exists(d); d = path.Dir(d) {
		f.files[d] = FileInfo{Mode: unix.S_IFDIR | 0o755}
	}
	if !f.exists(p) {
		f.files[p] = FileInfo{Mode: mode}
	}
}

func (f *fakeKernel) Mount(source, target, fstype string, flags uintptr, data string) error {
	return f.record("host-mount %q %s %q %s %q", source, target, fstype, msFlagString(flags), data)
}

func (f *fakeKernel) ReadFile(p string) ([]byte, error) {
	s, ok := f.hostFiles[p]
	if !ok {
		return nil, &os.PathError{Op: "open", Path: p, Err: unix.ENOENT}
	}
	return []byte(s), nil
}

func (f *fakeKernel) FSType(p string) (int64, error) {
	t, ok := f.fsTypes[p]
	if !ok {
		return 0, &os.PathError{Op: "statfs", Path: p, Err: unix.ENOENT}
	}
	return t, nil
}

func (f *fakeKernel) HostStat(p string) (FileInfo, error) {
	st, ok := f.host[p]
	if !ok {
		return FileInfo{}, &os.PathError{Op: "stat", Path: p, Err: unix.ENOENT}
	}
	return st, nil
}

func (f *fakeKernel) OpenRoot(p string) (Root, error) {
	return fakeRoot{f}, f.record("open-root %s", p)
}

func (f *fakeKernel) PivotRoot(rootfs string) error { return f.record("pivot_root %s", rootfs) }
func (f *fakeKernel) MoveRoot(rootfs string) error  { return f.record("move-root %s", rootfs) }
func (f *fakeKernel) ReopenDevNull() error          { return f.record("reopen /dev/null") }

func (f *fakeKernel) Umask(mask int) int {
	old := f.umask
	f.umask = mask
	_ = f.record("umask %03o", mask)
	return old
}

// fakeRoot is the fake's Root.
type fakeRoot struct{ f *fakeKernel }

func (r fakeRoot) Stat(p string) (FileInfo, error) {
	st, ok := r.f.files[p]
	if !ok {
		return FileInfo{}, &os.PathError{Op: "openat2", Path: p, Err: unix.ENOENT}
	}
	return st, nil
}

func (r fakeRoot) MkdirAll(p string, mode uint32) error {
	if err := r.f.record("mkdir %s %03o", p, mode); err != nil {
		return err
	}
	r.f.add(p, unix.S_IFDIR|mode)
	return nil
}

func (r fakeRoot) Mknod(p string, mode uint32, dev uint64) error {
	if r.f.exists(p) {
		return &os.PathError{Op: "mknod", Path: p, Err: unix.EEXIST}
	}
	if err := r.f.record("mknod %s %06o %d:%d", p, mode, unix.Major(dev), unix.Minor(dev)); err != nil {
		return &os.PathError{Op: "mknod", Path: p, Err: err}
	}
	r.f.add(p, mode)
	st := r.f.files[p]
	st.Rdev = dev
	r.f.files[p] = st
	return nil
}

func (r fakeRoot) Lchown(p string, uid, gid uint32) error {
	return r.f.record("lchown %s %d:%d", p, uid, gid)
}

func (r fakeRoot) Symlink(target, p string) error {
	if r.f.exists(p) {
		return &os.PathError{Op: "symlink", Path: p, Err: unix.EEXIST}
	}
	r.f.add(p, unix.S_IFLNK|0o777)
	return r.f.record("symlink %s -> %s", p, target)
}

func (r fakeRoot) Unlink(p string) error {
	if !r.f.exists(p) {
		return &os.PathError{Op: "unlink", Path: p, Err: unix.ENOENT}
	}
	delete(r.f.files, p)
	return r.f.record("unlink %s", p)
}

func (r fakeRoot) Mount(p string, fs *FS) error {
	if err := r.f.record("mount %s %s", p, fs); err != nil {
		return &os.PathError{Op: "mount", Path: p, Err: err}
	}
	r.f.add(p, unix.S_IFDIR|0o755)
	return nil
}

func (r fakeRoot) Bind(p string, b *Bind) error {
	if b.Source.InRoot && !r.f.exists(b.Source.Path) {
		return &os.PathError{Op: "openat2", Path: b.Source.Path, Err: unix.ENOENT}
	}
	if err := r.f.record("bind %s %s", p, b); err != nil {
		return &os.PathError{Op: "bind", Path: p, Err: err}
	}
	r.f.add(p, unix.S_IFREG|0o644)
	return nil
}

func (r fakeRoot) Change(p string, c Change) error {
	if c.Attr.IsZero() && c.Propagation == 0 {
		return nil
	}
	return r.f.record("change %s %s", p, describeChange(c))
}

func (r fakeRoot) Reconfigure(p string, fs *FS) error {
	return r.f.record("reconfigure %s %s", p, fs)
}

func (r fakeRoot) WriteSysctl(key, value string) error {
	return r.f.record("sysctl %s=%s", key, value)
}

func (r fakeRoot) Close() error { return r.f.record("close-root") }
