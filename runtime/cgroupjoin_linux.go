package runtime

import (
	"os"
	"path/filepath"

	"github.com/berth-oci/berth/runtime/linux/cgroups"
	"golang.org/x/sys/unix"
)

// joinPlan decides how the init enters its cgroup without the RCU grace
// period (6–15 ms here) that a write to cgroup.procs costs: the kernel takes
// its global threadgroup lock for writer for every cgroup.procs write, and
// not for a thread moving itself through a v1 "tasks" file. So:
//   - on v1 hierarchies the init's main thread, the one that later calls
//     execve (the others end there), writes "0" to tasks;
//   - on the cgroup2 hierarchy (v2, or the unified mount of a hybrid host)
//     the clone itself puts the init there (clone3 CLONE_INTO_CGROUP),
//     which takes that lock only for reading. That directory is made here,
//     before the clone; Create reuses it empty.
//
// It returns the files for the init, and sets the clone's cgroup fd.
func (s *starter) joinPlan(fds *childFiles) ([]string, error) {
	saved := s.cg.Saved()
	unified := saved.Paths[cgroups.UnifiedKey]
	var files []string
	for _, f := range s.cg.JoinFiles() {
		dir := filepath.Dir(f)
		switch {
		case unified != "" && dir == unified:
			if err := os.MkdirAll(unified, 0o755); err != nil {
				files = append(files, f)
				continue
			}
			fd, err := unix.Open(unified, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
			if err != nil {
				// Without the fd the constructor writes cgroup.procs: slower,
				// still right.
				files = append(files, f)
				continue
			}
			fds.cgroupFD = fd
		case filepath.Base(f) == "cgroup.procs" && saved.Mode != cgroups.ModeV2:
			files = append(files, filepath.Join(dir, "tasks"))
		default:
			files = append(files, f)
		}
	}
	return files, nil
}
