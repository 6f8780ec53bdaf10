package layer

import (
	"fmt"

	"golang.org/x/sys/unix"
)

// SpaceLimit returns a MaxSize for applying a layer into root: four times
// the free space of root's file system plus 1 GiB. No real layer comes
// near it (sparse files are the only way past the free space), while a
// gzip or sparse bomb, which would otherwise be read for hours, stops.
func SpaceLimit(root string) (int64, error) {
	var st unix.Statfs_t
	if err := unix.Statfs(root, &st); err != nil {
		return 0, fmt.Errorf("statfs %s: %w", root, err)
	}
	return 4*int64(st.Bavail)*int64(st.Bsize) + 1<<30, nil
}
