package engine

import (
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// fileLock is a held flock(2). It dies with the process, so a killed berth
// never leaves a lock held.
type fileLock struct{ f *os.File }

// lock takes a flock on path (created when missing), exclusive or shared,
// waiting for it.
func lock(path string, exclusive bool) (*fileLock, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	how := unix.LOCK_SH
	if exclusive {
		how = unix.LOCK_EX
	}
	for {
		err = unix.Flock(int(f.Fd()), how)
		if err != unix.EINTR {
			break
		}
	}
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	return &fileLock{f: f}, nil
}

// tryLock is lock without waiting: nil and no error when someone holds it.
func tryLock(path string, exclusive bool) (*fileLock, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	how := unix.LOCK_SH | unix.LOCK_NB
	if exclusive {
		how = unix.LOCK_EX | unix.LOCK_NB
	}
	if err := unix.Flock(int(f.Fd()), how); err != nil {
		f.Close()
		if err == unix.EWOULDBLOCK {
			return nil, nil
		}
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	return &fileLock{f: f}, nil
}

// Unlock releases the lock; a nil lock is fine.
func (l *fileLock) Unlock() {
	if l != nil && l.f != nil {
		l.f.Close()
		l.f = nil
	}
}

const storeLockFile = "store.lock"

// useStore holds the store lock shared: for work that creates blobs or
// snapshots before a record names them.
func (e *Engine) useStore() (*fileLock, error) { return lock(e.path(storeLockFile), false) }

// collectStore holds the store lock exclusive: for collection and repair.
func (e *Engine) collectStore() (*fileLock, error) { return lock(e.path(storeLockFile), true) }
