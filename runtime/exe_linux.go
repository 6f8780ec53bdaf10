package runtime

import (
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// sealedExe returns a sealed in-memory copy of the running binary to
// re-execute as the init. The container's processes can reach the init's
// executable through /proc/<pid>/exe; writing through it must not reach
// the runtime's binary on the host (CVE-2019-5736). A memfd sealed against
// writes and resizing cannot be changed by anyone.
func sealedExe() (*os.File, error) {
	src, err := os.Open("/proc/self/exe")
	if err != nil {
		return nil, fmt.Errorf("open runtime binary: %w", err)
	}
	defer src.Close()
	fi, err := src.Stat()
	if err != nil {
		return nil, fmt.Errorf("stat runtime binary: %w", err)
	}
	fd, err := unix.MemfdCreate("berth-runtime", unix.MFD_CLOEXEC|unix.MFD_ALLOW_SEALING)
	if err != nil {
		return nil, fmt.Errorf("memfd_create: %w", err)
	}
	f := os.NewFile(uintptr(fd), "berth-runtime")
	if err := copyExe(fd, int(src.Fd()), fi.Size()); err != nil {
		f.Close()
		return nil, err
	}
	const seals = unix.F_SEAL_SEAL | unix.F_SEAL_SHRINK | unix.F_SEAL_GROW | unix.F_SEAL_WRITE
	if _, err := unix.FcntlInt(uintptr(fd), unix.F_ADD_SEALS, seals); err != nil {
		f.Close()
		return nil, fmt.Errorf("seal runtime copy: %w", err)
	}
	return f, nil
}

func copyExe(dst, src int, size int64) error {
	for size > 0 {
		n, err := unix.Sendfile(dst, src, nil, int(size))
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return fmt.Errorf("copy runtime binary: %w", err)
		}
		if n == 0 {
			return fmt.Errorf("copy runtime binary: short copy")
		}
		size -= int64(n)
	}
	return nil
}
