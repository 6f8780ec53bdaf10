package runtime

import (
	"fmt"

	"golang.org/x/sys/unix"
)

// lock holds an exclusive flock on a container's directory.
type lock struct{ fd int }

// lockDir takes the lock of dir, waiting for the holder to finish.
func lockDir(dir string) (*lock, error) {
	fd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("lock %s: %w", dir, err)
	}
	for {
		err = unix.Flock(fd, unix.LOCK_EX)
		if err != unix.EINTR {
			break
		}
	}
	if err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("lock %s: %w", dir, err)
	}
	return &lock{fd: fd}, nil
}

func (l *lock) unlock() {
	if l != nil && l.fd >= 0 {
		unix.Close(l.fd) // closing the last fd releases the flock
		l.fd = -1
	}
}
