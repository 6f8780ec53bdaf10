package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/berth-oci/berth/errdefs"
	digest "github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	bolt "go.etcd.io/bbolt"
)

// containerRecord is what the database holds of a container: everything
// decided at create time. What changes as it runs is in its state file.
type containerRecord struct {
	ID      string        `json:"id"`
	Name    string        `json:"name"`
	ImageID digest.Digest `json:"imageID"`
	// ImageName is the image as the user named it; ImageConfig its config.
	ImageName   string             `json:"imageName"`
	ImageConfig ocispec.Descriptor `json:"imageConfig"`
	// ChainIDs are the image's snapshots, kept for as long as the
	// container exists.
	ChainIDs []digest.Digest `json:"chainIDs"`
	// Runtime is the OCI runtime binary the container runs with, for its
	// whole life (its state lives in that runtime's directory).
	Runtime string        `json:"runtime"`
	Created time.Time     `json:"created"`
	Options CreateOptions `json:"options"`
}

// Container is a container of the store as callers see it: its record and
// its current state.
type Container struct {
	ID        string
	Name      string
	ImageID   digest.Digest
	ImageName string
	Runtime   string
	Created   time.Time
	Options   CreateOptions
	// Command is what runs: the image's entrypoint and command with the
	// options applied.
	Command []string
	State   State
	// Ports are the ports it publishes, with the host ports chosen for
	// those asked as 0 while it is attached to its network.
	Ports []PortMapping
	// Dir is the container's directory (its bundle).
	Dir string
}

func allContainers(tx *bolt.Tx) ([]*containerRecord, error) {
	var out []*containerRecord
	err := forEachJSON(tx, bucketContainers, func(k string, data []byte) error {
		r := &containerRecord{}
		if err := json.Unmarshal(data, r); err != nil {
			return fmt.Errorf("container record %s: %w", k, err)
		}
		out = append(out, r)
		return nil
	})
	return out, err
}

// lookupContainer finds a container by full ID, name, or unique ID prefix.
func lookupContainer(tx *bolt.Tx, s string) (*containerRecord, error) {
	if s == "" {
		return nil, fmt.Errorf("container: empty name: %w", errdefs.ErrInvalidArgument)
	}
	r := &containerRecord{}
	if ok, err := getJSON(tx, bucketContainers, s, r); ok || err != nil {
		return r, err
	}
	if id := tx.Bucket(bucketContainerNames).Get([]byte(s)); id != nil {
		if ok, err := getJSON(tx, bucketContainers, string(id), r); ok || err != nil {
			return r, err
		}
	}
	var found []string
	c := tx.Bucket(bucketContainers).Cursor()
	for k, _ := c.Seek([]byte(s)); k != nil && strings.HasPrefix(string(k), s); k, _ = c.Next() {
		found = append(found, string(k))
	}
	switch len(found) {
	case 0:
		return nil, fmt.Errorf("container %q: no such container: %w", s, errdefs.ErrNotFound)
	case 1:
		_, err := getJSON(tx, bucketContainers, found[0], r)
		return r, err
	}
	return nil, fmt.Errorf("container ID prefix %q is ambiguous (%d containers): %w", s, len(found), errdefs.ErrInvalidArgument)
}

func (e *Engine) lookupRecord(s string) (*containerRecord, error) {
	var r *containerRecord
	err := e.view(func(tx *bolt.Tx) error {
		var err error
		r, err = lookupContainer(tx, s)
		return err
	})
	return r, err
}

// ctrDir is the directory of container id.
func (e *Engine) ctrDir(id string) string { return e.path(containersDir, id) }

// container joins a record with its current state.
func (e *Engine) container(r *containerRecord) *Container {
	c := &Container{
		ID: r.ID, Name: r.Name, ImageID: r.ImageID, ImageName: r.ImageName, Runtime: r.Runtime,
		Created: r.Created, Options: r.Options, Dir: e.ctrDir(r.ID),
	}
	c.State = e.currentState(r.ID)
	c.Command = c.State.Command
	c.Ports = e.ports(context.Background(), r)
	return c
}

// Container returns the container s names (ID, name or unique ID prefix).
func (e *Engine) Container(ctx context.Context, s string) (*Container, error) {
	r, err := e.lookupRecord(s)
	if err != nil {
		return nil, err
	}
	return e.container(r), nil
}

// Containers lists the store's containers, newest first; only the running
// ones unless all.
func (e *Engine) Containers(ctx context.Context, all bool) ([]*Container, error) {
	var recs []*containerRecord
	if err := e.view(func(tx *bolt.Tx) error {
		var err error
		recs, err = allContainers(tx)
		return err
	}); err != nil {
		return nil, err
	}
	var out []*Container
	for _, r := range recs {
		c := e.container(r)
		if all || c.State.Status == StatusRunning || c.State.Status == StatusPaused {
			out = append(out, c)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Created.After(out[j].Created) })
	return out, nil
}

// Paths inside a container's directory.
const (
	ctrRootfs     = "rootfs"
	ctrUpper      = "upper"
	ctrWork       = "work"
	ctrLog        = "ctr.log"
	ctrState      = "state.json"
	ctrLock       = "lock"
	ctrPidFile    = "pid"
	ctrRuntimeLog = "runtime.log"
)

func (e *Engine) ctrPath(id string, elem ...string) string {
	return filepath.Join(append([]string{e.ctrDir(id)}, elem...)...)
}
