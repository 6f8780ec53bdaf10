package engine

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/berth-oci/berth/engine/snapshot"
	"github.com/berth-oci/berth/errdefs"
	bolt "go.etcd.io/bbolt"
)

// RemoveOptions control Remove.
type RemoveOptions struct {
	// Force stops a running container first (SIGKILL).
	Force bool
	// Volumes removes the container's anonymous volumes too.
	Volumes bool
	// exited: the caller saw the container end (its own run).
	exited bool
}

// Remove deletes container s: its runtime state, mount, record and
// directory. A running container is refused unless Force.
func (e *Engine) Remove(ctx context.Context, s string, o RemoveOptions) error {
	r, err := e.lookupRecord(s)
	if err != nil {
		return err
	}
	if !o.exited {
		st := e.currentState(r.ID)
		if st.Status == StatusRunning || st.Status == StatusPaused {
			if !o.Force {
				return fmt.Errorf("container %s is running: stop it first or force: %w", r.Name, errdefs.ErrFailedPrecondition)
			}
			if err := e.kill(ctx, r, 9, true); err != nil {
				e.warn("container %s: %v", r.Name, err)
			}
			e.waitExit(ctx, r, 10*time.Second)
		}
	}
	lk, err := lock(e.ctrPath(r.ID, ctrLock), true)
	if err != nil {
		return err
	}
	defer lk.Unlock()
	if _, err := os.Stat(e.ctrDir(r.ID)); err != nil {
		return fmt.Errorf("container %s: %w", r.Name, errdefs.ErrNotFound)
	}
	return e.removeLocked(ctx, r, o.Volumes)
}

// removeLocked removes container r, whose lock the caller holds: records
// first, so a crash midway leaves a directory without a record (which a
// check removes), never a record without its directory.
func (e *Engine) removeLocked(ctx context.Context, r *containerRecord, volumes bool) error {
	rt := e.runtime(r)
	if err := rt.Delete(ctx, r.ID, true); err != nil {
		return fmt.Errorf("remove container %s: %w", r.Name, err)
	}
	if err := e.disconnect(ctx, r); err != nil {
		return fmt.Errorf("remove container %s: %w", r.Name, err)
	}
	if err := snapshot.Unmount(e.ctrPath(r.ID, ctrRootfs)); err != nil {
		return fmt.Errorf("remove container %s: %w", r.Name, err)
	}
	var anon []string
	err := e.update(func(tx *bolt.Tx) error {
		if string(tx.Bucket(bucketContainerNames).Get([]byte(r.Name))) == r.ID {
			if err := tx.Bucket(bucketContainerNames).Delete([]byte(r.Name)); err != nil {
				return err
			}
		}
		if volumes {
			anon = anonymousVolumes(tx, r)
			for _, v := range anon {
				if err := tx.Bucket(bucketVolumes).Delete([]byte(v)); err != nil {
					return err
				}
			}
		}
		return tx.Bucket(bucketContainers).Delete([]byte(r.ID))
	})
	if err != nil {
		return fmt.Errorf("remove container %s: %w", r.Name, err)
	}
	if err := os.RemoveAll(e.ctrDir(r.ID)); err != nil {
		return fmt.Errorf("remove container %s: %w", r.Name, err)
	}
	for _, v := range anon {
		os.RemoveAll(filepath.Dir(e.volumeDir(v)))
	}
	return nil
}

// anonymousVolumes lists the anonymous volumes of r no other container uses.
func anonymousVolumes(tx *bolt.Tx, r *containerRecord) []string {
	users, err := volumeUsers(tx)
	if err != nil {
		return nil
	}
	var out []string
	for _, m := range r.Options.Mounts {
		if m.Type != MountVolume || len(users[m.Source]) > 1 {
			continue
		}
		var v Volume
		if ok, _ := getJSON(tx, bucketVolumes, m.Source, &v); ok && v.Anonymous {
			out = append(out, m.Source)
		}
	}
	return out
}
