package runtime

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/berth-oci/berth/errdefs"
	"github.com/berth-oci/berth/runtime/specjson"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

const (
	stateFile = "state.json"
	fifoFile  = "exec.fifo"
)

// State is what `state` prints: the runtime-spec state plus the fields of
// runc's that podman and containerd read.
type State struct {
	specs.State
	Rootfs  string    `json:"rootfs"`
	Created time.Time `json:"created"`
	Owner   string    `json:"owner"`
}

// record is state.json: what the runtime remembers of a container. The
// config is kept as it was at create: later edits of config.json must not
// affect the container. It is kept as JSON (RawSpec), the bytes of
// config.json when nothing changed it since: encoding a specs.Spec with
// encoding/json first builds encoders for every type it reaches, a
// millisecond on the path of every create.
type record struct {
	ID       string          `json:"id"`
	Bundle   string          `json:"bundle"`
	Rootfs   string          `json:"rootfs"`
	Pid      int             `json:"pid"`
	PidStart uint64          `json:"pidStart"` // start time of pid, against pid reuse
	Created  time.Time       `json:"created"`
	Owner    string          `json:"owner"`
	Spec     *specs.Spec     `json:"-"`
	RawSpec  json.RawMessage `json:"spec"` // Spec as JSON; nil once Spec changed
	Cgroup   json.RawMessage `json:"cgroup,omitempty"`
}

func (r *Runtime) load(id string) (*record, error) {
	if err := checkID(id); err != nil {
		return nil, err
	}
	b, err := os.ReadFile(filepath.Join(r.dir(id), stateFile))
	if errors.Is(err, fs.ErrNotExist) {
		if _, serr := os.Stat(r.dir(id)); serr == nil {
			return nil, fmt.Errorf("container %s is being created or its create failed: %w", id, errdefs.ErrFailedPrecondition)
		}
		return nil, fmt.Errorf("container %s does not exist: %w", id, errdefs.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("read state of container %s: %w", id, err)
	}
	var rec record
	if err := specjson.Unmarshal(b, &rec); err != nil {
		return nil, fmt.Errorf("parse state of container %s: %w", id, err)
	}
	if len(rec.RawSpec) > 0 && string(rec.RawSpec) != "null" {
		rec.Spec = new(specs.Spec)
		if err := specjson.Unmarshal(rec.RawSpec, rec.Spec); err != nil {
			return nil, fmt.Errorf("parse state of container %s: spec: %w", id, err)
		}
	}
	return &rec, nil
}

func (r *Runtime) save(rec *record) error {
	if rec.RawSpec == nil {
		raw, err := json.Marshal(rec.Spec)
		if err != nil {
			return fmt.Errorf("encode state of container %s: %w", rec.ID, err)
		}
		rec.RawSpec = raw
	}
	b, err := json.Marshal(rec)
	if err != nil {
		return fmt.Errorf("encode state of container %s: %w", rec.ID, err)
	}
	return replaceFile(filepath.Join(r.dir(rec.ID), stateFile), b, 0o600)
}

// replaceFile writes path through a temporary file renamed over it, so a
// reader sees the old content or the new, never part of it. It does not
// fsync: state lives on a tmpfs and does not outlive a reboot (runc does
// not either), and a flush would cost a disk round trip when --root or
// the pid file sit on a disk.
func replaceFile(path string, b []byte, perm os.FileMode) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	_, err = f.Write(b)
	if err == nil {
		err = f.Chmod(perm)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), path)
	}
	if err != nil {
		os.Remove(f.Name())
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// status derives the container's status from the kernel and the state
// directory: its init gone (or its pid reused) is stopped; exec.fifo still
// there is created; otherwise running.
func (r *Runtime) status(rec *record) specs.ContainerState {
	if !alive(rec.Pid, rec.PidStart) {
		return specs.StateStopped
	}
	if _, err := os.Lstat(filepath.Join(r.dir(rec.ID), fifoFile)); err == nil {
		return specs.StateCreated
	}
	if r.paused(rec) {
		return statusPaused
	}
	return specs.StateRunning
}

func (r *Runtime) stateOf(rec *record) *State {
	st := &State{
		State: specs.State{
			Version: specs.Version,
			ID:      rec.ID,
			Status:  r.status(rec),
			Bundle:  rec.Bundle,
		},
		Rootfs:  rec.Rootfs,
		Created: rec.Created,
		Owner:   rec.Owner,
	}
	if rec.Spec != nil {
		st.Annotations = rec.Spec.Annotations
	}
	if st.Status != specs.StateStopped {
		st.Pid = rec.Pid
	}
	return st
}

// State returns the state of container id.
func (r *Runtime) State(id string) (*State, error) {
	rec, err := r.load(id)
	if err != nil {
		return nil, err
	}
	return r.stateOf(rec), nil
}

// hookState is the state passed to hooks that run in the runtime namespace.
func (r *Runtime) hookState(rec *record, status specs.ContainerState) []byte {
	st := specs.State{Version: specs.Version, ID: rec.ID, Status: status, Pid: rec.Pid, Bundle: rec.Bundle}
	if rec.Spec != nil {
		st.Annotations = rec.Spec.Annotations
	}
	b, _ := json.Marshal(st)
	return b
}
