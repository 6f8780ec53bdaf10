package network

import (
	"os"
	"syscall"
)

// writeEtcFile puts data in the file at path. An existing file is
// rewritten in place, not replaced: the engine bind-mounts these files
// into the container, and a mount holds on to the inode, so a renamed
// replacement would go unseen. The new content is written over the old
// before the rest is cut, so a reader never finds the file empty.
func writeEtcFile(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|syscall.O_NOFOLLOW, 0o644)
	if err != nil {
		return err
	}
	_, err = f.WriteAt(data, 0)
	if err == nil {
		err = f.Truncate(int64(len(data)))
	}
	if cerr := f.Close(); err == nil && cerr != nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	return nil
}
