package runtime

import (
	"context"
	"fmt"
	"time"

	"github.com/berth-oci/berth/errdefs"
	"github.com/berth-oci/berth/runtime/linux/cgroups"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// Event is one line of `events`, shaped as runc's: "stats" with the
// cgroup's counters, or "oom".
type Event struct {
	Type string         `json:"type"`
	ID   string         `json:"id"`
	Data *cgroups.Stats `json:"data,omitempty"`
}

// Stats returns the container's current usage counters.
func (r *Runtime) Stats(id string) (*Event, error) {
	rec, err := r.load(id)
	if err != nil {
		return nil, err
	}
	if r.status(rec) == specs.StateStopped {
		return nil, fmt.Errorf("container %s is not running (status stopped): no stats: %w", id, errdefs.ErrFailedPrecondition)
	}
	cg, err := r.loadCgroup(rec)
	if err != nil {
		return nil, err
	}
	if cg == nil {
		return nil, fmt.Errorf("stats of %s: the container has no cgroup: %w", id, errdefs.ErrFailedPrecondition)
	}
	st, err := cg.Stats()
	if err != nil {
		return nil, fmt.Errorf("stats of %s: %w", id, err)
	}
	return &Event{Type: "stats", ID: id, Data: st}, nil
}

// Events sends the container's stats every interval and an "oom" event for
// each OOM kill, until the container stops or ctx ends.
func (r *Runtime) Events(ctx context.Context, id string, interval time.Duration, send func(*Event) error) error {
	rec, err := r.load(id)
	if err != nil {
		return err
	}
	cg, err := r.loadCgroup(rec)
	if err != nil {
		return err
	}
	if cg == nil {
		return fmt.Errorf("events of %s: the container has no cgroup: %w", id, errdefs.ErrFailedPrecondition)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	ooms, err := cg.OOMEvents(ctx)
	if err != nil {
		return fmt.Errorf("events of %s: %w", id, err)
	}
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case _, ok := <-ooms:
			if !ok {
				return nil
			}
			if err := send(&Event{Type: "oom", ID: id}); err != nil {
				return err
			}
		case <-tick.C:
			if r.status(rec) == specs.StateStopped {
				return nil
			}
			ev, err := r.Stats(id)
			if err != nil {
				return err
			}
			if err := send(ev); err != nil {
				return err
			}
		}
	}
}
