package runtime

import (
	"fmt"

	"github.com/berth-oci/berth/errdefs"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// statusPaused is runc's extra status of a container whose cgroup is frozen.
const statusPaused specs.ContainerState = "paused"

// Pause freezes every process of a running container (cgroup freezer).
func (r *Runtime) Pause(id string) error {
	return r.freeze(id, true)
}

// Resume thaws a paused container.
func (r *Runtime) Resume(id string) error {
	return r.freeze(id, false)
}

func (r *Runtime) freeze(id string, freeze bool) error {
	rec, l, err := r.lockLoad(id)
	if err != nil {
		return err
	}
	defer l.unlock()
	want, op := specs.StateRunning, "pause"
	if !freeze {
		want, op = statusPaused, "resume"
	}
	if st := r.status(rec); st != want {
		return wrongState(id, st, string(want), op)
	}
	cg, err := r.loadCgroup(rec)
	if err != nil {
		return err
	}
	if cg == nil {
		return fmt.Errorf("%s %s: the container has no cgroup: %w", op, id, errdefs.ErrFailedPrecondition)
	}
	if freeze {
		err = cg.Freeze()
	} else {
		err = cg.Thaw()
	}
	if err != nil {
		return fmt.Errorf("%s %s: %w", op, id, err)
	}
	return nil
}
