package runtime

import (
	"fmt"
	"sort"

	"github.com/berth-oci/berth/errdefs"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// Pids lists the host pids of every process of the container.
func (r *Runtime) Pids(id string) ([]int, error) {
	rec, err := r.load(id)
	if err != nil {
		return nil, err
	}
	if r.status(rec) == specs.StateStopped {
		return nil, fmt.Errorf("container %s is not running (status stopped): cannot list its processes: %w", id, errdefs.ErrFailedPrecondition)
	}
	cg, err := r.loadCgroup(rec)
	if err != nil {
		return nil, err
	}
	var pids []int
	if cg != nil {
		if pids, err = cg.Pids(); err != nil {
			return nil, fmt.Errorf("list processes of %s: %w", id, err)
		}
	} else {
		pids = []int{rec.Pid}
	}
	sort.Ints(pids)
	return pids, nil
}
