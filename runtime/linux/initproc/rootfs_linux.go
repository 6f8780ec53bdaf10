package initproc

import (
	"fmt"
	"os"

	"github.com/berth-oci/berth/runtime/linux/rootfs"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

func (p *initProcess) rootfsOptions() rootfs.Options {
	newUser := false
	for _, ns := range p.b.Spec.Linux.Namespaces {
		if ns.Type == specs.UserNamespace {
			newUser = ns.Path == ""
		}
	}
	return rootfs.Options{
		Bundle:  p.b.Bundle,
		Rootfs:  p.b.Rootfs,
		NoPivot: p.b.NoPivot,
		UserNS:  newUser,

		CgroupMountinfo: p.b.CgroupMountinfo,
	}
}

// mountConsole binds the pty slave onto /dev/console, after the pivot: the
// pty is allocated in the container's own devpts, which exists only once
// the mounts are done. The root is the container's here, so no path can
// lead outside it; a symlink at /dev/console is refused all the same.
func mountConsole(slave string) error {
	fi, err := os.Lstat("/dev/console")
	switch {
	case os.IsNotExist(err):
		fd, err := unix.Open("/dev/console", unix.O_CREAT|unix.O_EXCL|unix.O_NOFOLLOW|unix.O_CLOEXEC|unix.O_WRONLY, 0o600)
		if err != nil {
			return fmt.Errorf("create /dev/console: %w", err)
		}
		unix.Close(fd)
	case err != nil:
		return fmt.Errorf("stat /dev/console: %w", err)
	case fi.Mode()&os.ModeSymlink != 0:
		return fmt.Errorf("/dev/console is a symbolic link: refusing to bind the console there")
	}
	if err := unix.Mount(slave, "/dev/console", "", unix.MS_BIND, ""); err != nil {
		return fmt.Errorf("bind %s onto /dev/console: %w", slave, err)
	}
	return nil
}
