package engine

import (
	"io"
	"path"
	"strings"

	"context"
	"encoding/json"
	"fmt"
	"github.com/berth-oci/berth/layer"
	"os"
	"sort"
	"time"

	"github.com/berth-oci/berth/errdefs"
	bolt "go.etcd.io/bbolt"
)

// Volume is a named volume of the store: a directory that outlives the
// containers that mount it.
type Volume struct {
	Name    string            `json:"name"`
	Created time.Time         `json:"created"`
	Labels  map[string]string `json:"labels,omitempty"`
	// Anonymous volumes were made by a -v DEST without a name.
	Anonymous bool `json:"anonymous,omitempty"`
	// Mountpoint is the directory mounted into containers.
	Mountpoint string `json:"mountpoint"`
	// NeedsCopyUp: the volume is new, and the first container to mount it
	// copies into it what its image has at the mount point, as podman does.
	NeedsCopyUp bool `json:"needsCopyUp,omitempty"`
}

const volumeData = "_data"

func (e *Engine) volumeDir(name string) string { return e.path(volumesDir, name, volumeData) }

// CreateVolume makes the volume name (a random one when empty).
func (e *Engine) CreateVolume(ctx context.Context, name string, labels map[string]string) (*Volume, error) {
	anon := name == ""
	if anon {
		name = newID()
	}
	if !validName(name) {
		return nil, fmt.Errorf("volume name %q: want [a-zA-Z0-9][a-zA-Z0-9_.-]*: %w", name, errdefs.ErrInvalidArgument)
	}
	v := &Volume{Name: name, Created: time.Now().UTC(), Labels: labels, Anonymous: anon, Mountpoint: e.volumeDir(name), NeedsCopyUp: true}
	if err := os.MkdirAll(v.Mountpoint, 0o755); err != nil {
		return nil, fmt.Errorf("create volume %s: %w", name, err)
	}
	err := e.update(func(tx *bolt.Tx) error {
		if tx.Bucket(bucketVolumes).Get([]byte(name)) != nil {
			return fmt.Errorf("create volume %s: %w", name, errdefs.ErrAlreadyExists)
		}
		return putJSON(tx, bucketVolumes, name, v)
	})
	return v, err
}

// ensureVolumes creates the named volumes of mounts that do not exist,
// inside tx (their directories first), and names anonymous ones.
func (e *Engine) ensureVolumes(tx *bolt.Tx, mounts []Mount) error {
	for i := range mounts {
		m := &mounts[i]
		if m.Type != MountVolume {
			continue
		}
		anon := m.Source == ""
		if anon {
			m.Source = newID()
		}
		if tx.Bucket(bucketVolumes).Get([]byte(m.Source)) != nil {
			continue
		}
		v := &Volume{Name: m.Source, Created: time.Now().UTC(), Anonymous: anon, Mountpoint: e.volumeDir(m.Source), NeedsCopyUp: true}
		if err := os.MkdirAll(v.Mountpoint, 0o755); err != nil {
			return fmt.Errorf("create volume %s: %w", m.Source, err)
		}
		if err := putJSON(tx, bucketVolumes, m.Source, v); err != nil {
			return err
		}
	}
	return nil
}

// Volume returns the volume name.
func (e *Engine) Volume(ctx context.Context, name string) (*Volume, error) {
	v := &Volume{}
	err := e.view(func(tx *bolt.Tx) error {
		ok, err := getJSON(tx, bucketVolumes, name, v)
		if err == nil && !ok {
			err = fmt.Errorf("volume %s: %w", name, errdefs.ErrNotFound)
		}
		return err
	})
	return v, err
}

// Volumes lists the volumes, by name.
func (e *Engine) Volumes(ctx context.Context) ([]*Volume, error) {
	var out []*Volume
	err := e.view(func(tx *bolt.Tx) error {
		return forEachJSON(tx, bucketVolumes, func(k string, data []byte) error {
			v := &Volume{}
			if err := json.Unmarshal(data, v); err != nil {
				return fmt.Errorf("volume record %s: %w", k, err)
			}
			out = append(out, v)
			return nil
		})
	})
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, err
}

// volumeUsers maps each volume name to the containers that mount it.
func volumeUsers(tx *bolt.Tx) (map[string][]string, error) {
	ctrs, err := allContainers(tx)
	if err != nil {
		return nil, err
	}
	out := map[string][]string{}
	for _, c := range ctrs {
		for _, m := range c.Options.Mounts {
			if m.Type == MountVolume {
				out[m.Source] = append(out[m.Source], c.ID)
			}
		}
	}
	return out, nil
}

// RemoveVolume deletes the volume name and its data. A volume in use by a
// container is refused unless force, which removes those containers.
func (e *Engine) RemoveVolume(ctx context.Context, name string, force bool) error {
	var users []string
	err := e.view(func(tx *bolt.Tx) error {
		if tx.Bucket(bucketVolumes).Get([]byte(name)) == nil {
			return fmt.Errorf("volume %s: %w", name, errdefs.ErrNotFound)
		}
		u, err := volumeUsers(tx)
		users = u[name]
		return err
	})
	if err != nil {
		return err
	}
	if len(users) > 0 && !force {
		return fmt.Errorf("volume %s is in use by container %s: %w", name, users[0][:12], errdefs.ErrFailedPrecondition)
	}
	for _, id := range users {
		if err := e.Remove(ctx, id, RemoveOptions{Force: true}); err != nil && !errdefsNotFound(err) {
			return err
		}
	}
	if err := e.update(func(tx *bolt.Tx) error { return tx.Bucket(bucketVolumes).Delete([]byte(name)) }); err != nil {
		return err
	}
	if err := os.RemoveAll(e.path(volumesDir, name)); err != nil {
		return fmt.Errorf("remove volume %s: %w", name, err)
	}
	return nil
}

// PruneVolumes removes the volumes no container uses and returns their names.
func (e *Engine) PruneVolumes(ctx context.Context) ([]string, error) {
	var doomed []string
	err := e.view(func(tx *bolt.Tx) error {
		users, err := volumeUsers(tx)
		if err != nil {
			return err
		}
		return tx.Bucket(bucketVolumes).ForEach(func(k, _ []byte) error {
			if len(users[string(k)]) == 0 {
				doomed = append(doomed, string(k))
			}
			return nil
		})
	})
	if err != nil {
		return nil, err
	}
	var out []string
	for _, name := range doomed {
		if err := e.RemoveVolume(ctx, name, false); err != nil {
			if errdefsIs(err, errdefs.ErrFailedPrecondition) {
				continue // taken meanwhile
			}
			return out, err
		}
		out = append(out, name)
	}
	return out, nil
}

// copyUp fills the new volumes container r mounts with what its image has
// at their mount points (rootfs is mounted), once per volume. The copy
// runs outside any transaction; two first users copying at once copy the
// same files.
func (e *Engine) copyUp(ctx context.Context, r *containerRecord, rootfs string) error {
	var pending []Mount
	for _, m := range r.Options.Mounts {
		if m.Type == MountVolume {
			pending = append(pending, m)
		}
	}
	if len(pending) == 0 {
		return nil
	}
	var todo []Mount
	err := e.view(func(tx *bolt.Tx) error {
		for _, m := range pending {
			var v Volume
			if ok, err := getJSON(tx, bucketVolumes, m.Source, &v); err == nil && ok && v.NeedsCopyUp {
				todo = append(todo, m)
			}
		}
		return nil
	})
	if err != nil || len(todo) == 0 {
		return err
	}
	for _, m := range todo {
		rel := strings.TrimPrefix(path.Clean(m.Destination), "/")
		if isDir, exists := dirInRoot(rootfs, rel); !exists || !isDir {
			continue
		}
		pr, pw := io.Pipe()
		go func() { pw.CloseWithError(tarFromRoot(rootfs, rel, ".", pw)) }()
		_, err := layer.Apply(ctx, e.volumeDir(m.Source), pr, layer.ApplyOptions{Format: layer.Tree})
		pr.CloseWithError(err)
		if err != nil {
			return fmt.Errorf("copy %s of the image into volume %s: %w", m.Destination, m.Source, err)
		}
	}
	return e.update(func(tx *bolt.Tx) error {
		for _, m := range todo {
			var v Volume
			if ok, err := getJSON(tx, bucketVolumes, m.Source, &v); err != nil || !ok {
				continue
			}
			v.NeedsCopyUp = false
			if err := putJSON(tx, bucketVolumes, m.Source, &v); err != nil {
				return err
			}
		}
		return nil
	})
}
