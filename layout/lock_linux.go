package layout

import (
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// withLock runs fn holding an exclusive flock(2) on the layout directory.
// The directory itself is the lock, so the layout gains no extra file, and
// the kernel drops the lock when a holder dies.
func (l *Layout) withLock(fn func() error) error {
	d, err := os.Open(l.root)
	if err != nil {
		return fmt.Errorf("lock layout %s: %w", l.root, err)
	}
	defer d.Close()
	for {
		err = unix.Flock(int(d.Fd()), unix.LOCK_EX)
		if err != unix.EINTR {
			break
		}
	}
	if err != nil {
		return fmt.Errorf("lock layout %s: %w", l.root, err)
	}
	defer unix.Flock(int(d.Fd()), unix.LOCK_UN)
	return fn()
}
