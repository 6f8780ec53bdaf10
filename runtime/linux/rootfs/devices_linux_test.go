package rootfs

import (
	"errors"
	"os"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/berth-oci/berth/errdefs"
)

func ptr[T any](v T) *T { return &v }

// deviceCalls runs Prepare on a spec with the given devices and returns
// the calls made between the umask changes.
func deviceCalls(t *testing.T, f *fakeKernel, opts Options, devs ...specs.LinuxDevice) ([]string, error) {
	t.Helper()
	spec := bareSpec()
	spec.Linux.Devices = devs
	opts.Kernel = f
	opts.Bundle, opts.Rootfs = "/b", "/b/rootfs"
	err := Prepare(spec, opts)
	var out []string
	in := false
	for _, c := range f.calls {
		switch {
		case strings.HasPrefix(c, "umask"):
			in = !in
		case in && !strings.HasPrefix(c, "symlink /dev/std") && !strings.HasPrefix(c, "symlink /dev/fd"):
			out = append(out, c)
		}
	}
	return out, err
}

func TestDevices(t *testing.T) {
	fuse := specs.LinuxDevice{Path: "/dev/fuse", Type: "c", Major: 10, Minor: 229, FileMode: ptr(os.FileMode(0o600)), UID: ptr(uint32(1000)), GID: ptr(uint32(5))}
	null := specs.LinuxDevice{Path: "dev/null", Type: "c", Major: 1, Minor: 3, FileMode: ptr(os.FileMode(0o640))}
	fifo := specs.LinuxDevice{Path: "/run/fifo", Type: "p"}
	blk := specs.LinuxDevice{Path: "/dev/sda", Type: "b", Major: 8, Minor: 0, FileMode: ptr(os.FileMode(0o660))}

	t.Run("mknod with mode and owner; a listed device replaces the default one", func(t *testing.T) {
		got, err := deviceCalls(t, newFake(), Options{}, fuse, null, fifo, blk)
		if err != nil {
			t.Fatal(err)
		}
		diffCalls(t, got, []string{
			"mknod /dev/zero 020666 1:5",
			"mknod /dev/full 020666 1:7",
			"mknod /dev/random 020666 1:8",
			"mknod /dev/urandom 020666 1:9",
			"mknod /dev/tty 020666 5:0",
			"mknod /dev/fuse 020600 10:229",
			"lchown /dev/fuse 1000:5",
			"mknod /dev/null 020640 1:3",
			"mknod /run/fifo 010666 0:0",
			"mknod /dev/sda 060660 8:0",
			"symlink /dev/ptmx -> pts/ptmx",
		})
	})
	t.Run("in a user namespace devices are bound from the host, fifos made", func(t *testing.T) {
		got, err := deviceCalls(t, newFake(), Options{UserNS: true}, fuse, fifo)
		if err != nil {
			t.Fatal(err)
		}
		diffCalls(t, got, []string{
			"bind /dev/null bind /dev/null",
			"bind /dev/zero bind /dev/zero",
			"bind /dev/full bind /dev/full",
			"bind /dev/random bind /dev/random",
			"bind /dev/urandom bind /dev/urandom",
			"bind /dev/tty bind /dev/tty",
			"bind /dev/fuse bind /dev/fuse",
			"mknod /run/fifo 010666 0:0",
			"symlink /dev/ptmx -> pts/ptmx",
		})
	})
	t.Run("mknod refused: bind", func(t *testing.T) {
		f := newFake()
		f.fail["mknod /dev/fuse"] = unix.EPERM
		got, err := deviceCalls(t, f, Options{}, fuse)
		if err != nil {
			t.Fatal(err)
		}
		if !contains(got, "bind /dev/fuse bind /dev/fuse") {
			t.Errorf("no bind after EPERM: %q", got)
		}
	})
	t.Run("the image's /dev/ptmx is replaced by the link", func(t *testing.T) {
		f := newFake()
		f.files["/dev/ptmx"] = FileInfo{Mode: unix.S_IFCHR | 0o666, Rdev: unix.Mkdev(5, 2)}
		got, _ := deviceCalls(t, f, Options{})
		if !contains(got, "unlink /dev/ptmx") || !contains(got, "symlink /dev/ptmx -> pts/ptmx") {
			t.Errorf("calls %q", got)
		}
	})
	t.Run("an existing matching device is kept", func(t *testing.T) {
		f := newFake()
		f.files["/dev/fuse"] = FileInfo{Mode: unix.S_IFCHR | 0o600, Rdev: unix.Mkdev(10, 229)}
		got, err := deviceCalls(t, f, Options{}, fuse)
		if err != nil || contains(got, "bind /dev/fuse bind /dev/fuse") {
			t.Errorf("err %v, calls %q", err, got)
		}
	})
	t.Run("a default device the image has as a file is covered", func(t *testing.T) {
		f := newFake()
		f.files["/dev/null"] = FileInfo{Mode: unix.S_IFREG | 0o644}
		got, err := deviceCalls(t, f, Options{})
		if err != nil || !contains(got, "bind /dev/null bind /dev/null") {
			t.Errorf("err %v, calls %q", err, got)
		}
	})
	t.Run("a listed device that exists as something else is an error", func(t *testing.T) {
		f := newFake()
		f.files["/dev/fuse"] = FileInfo{Mode: unix.S_IFCHR | 0o600, Rdev: unix.Mkdev(1, 3)}
		_, err := deviceCalls(t, f, Options{}, fuse)
		if !errors.Is(err, errdefs.ErrAlreadyExists) || !strings.Contains(err.Error(), "/dev/fuse") {
			t.Errorf("err = %v", err)
		}
	})
}

func TestDevIsLeftAloneWhenBound(t *testing.T) {
	f := newFake()
	spec := bareSpec(specs.Mount{Destination: "/dev/", Type: "bind", Source: "/dev", Options: []string{"rbind"}})
	if err := Prepare(spec, Options{Bundle: "/b", Rootfs: "/b/rootfs", Kernel: f, ConsolePath: "/dev/pts/7"}); err != nil {
		t.Fatal(err)
	}
	diffCalls(t, f.calls[3:], []string{
		"bind /dev rbind /dev",
		"bind /dev/console bind /dev/pts/7",
		"close-root",
	})
	f = newFake()
	if err := Pivot(spec, fakeOpts(f)); err != nil {
		t.Fatal(err)
	}
	diffCalls(t, f.calls, []string{"pivot_root /b/rootfs"})
}

func contains(list []string, s string) bool {
	for _, l := range list {
		if l == s {
			return true
		}
	}
	return false
}
