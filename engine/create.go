package engine

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/berth-oci/berth/bundle"
	"github.com/berth-oci/berth/errdefs"
	"github.com/berth-oci/berth/image"
	digest "github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	bolt "go.etcd.io/bbolt"
)

// PullPolicy says when creating a container pulls its image.
type PullPolicy string

const (
	PullMissing PullPolicy = "missing" // when the store lacks it (the default)
	PullAlways  PullPolicy = "always"
	PullNever   PullPolicy = "never"
)

// ParsePullPolicy checks a --pull value; empty is PullMissing.
func ParsePullPolicy(s string) (PullPolicy, error) {
	switch PullPolicy(s) {
	case "", PullMissing:
		return PullMissing, nil
	case PullAlways, PullNever:
		return PullPolicy(s), nil
	case "newer":
		return PullAlways, nil
	}
	return "", fmt.Errorf("--pull %q: want always, missing or never: %w", s, errdefs.ErrInvalidArgument)
}

// EnsureImage returns the image ref names, pulling it as policy says. A
// reference with a transport (oci:, docker-archive:) is always read from
// there unless the store has it under the name it would get.
func (e *Engine) EnsureImage(ctx context.Context, ref string, policy PullPolicy, platform *ocispec.Platform) (*Image, error) {
	r, err := ParseImageRef(ref)
	if err != nil {
		return nil, err
	}
	if policy != PullAlways && r.Transport == TransportRegistry {
		img, err := e.LookupImage(ctx, r.Ref)
		if err == nil && (platform == nil || image.NewMatcher(*platform).Match(img.Platform)) {
			return img, nil
		}
		if err != nil && !errors.Is(err, errdefs.ErrNotFound) {
			return nil, err
		}
		if policy == PullNever {
			return nil, fmt.Errorf("image %s is not in the store and --pull is never: %w", ref, errdefs.ErrNotFound)
		}
	}
	if policy == PullNever {
		return nil, fmt.Errorf("image %s: --pull never takes images from the store only: %w", ref, errdefs.ErrInvalidArgument)
	}
	imgs, err := e.Pull(ctx, ref, PullOptions{Platform: platform})
	if err != nil {
		return nil, err
	}
	return imgs[0], nil
}

// Create makes a container of img (named imageName by the user) with the
// options: its record, directory and volumes. Nothing runs yet; Start or
// Run does that.
func (e *Engine) Create(ctx context.Context, img *Image, imageName string, o CreateOptions) (*Container, error) {
	if err := e.checkCreate(ctx, &o); err != nil {
		return nil, err
	}
	rt, err := e.runtimeFor(o.Runtime)
	if err != nil {
		return nil, err
	}
	r := &containerRecord{
		ID: newID(), Name: o.Name, ImageID: img.ID, ImageName: imageName, ImageConfig: img.Config, ChainIDs: img.ChainIDs,
		Runtime: rt, Created: time.Now().UTC(), Options: o,
	}
	lk, err := e.useStore()
	if err != nil {
		return nil, err
	}
	defer lk.Unlock()
	made, err := e.ensureSnapshots(ctx, img)
	if err != nil {
		return nil, err
	}
	if err := e.makeCtrDir(r); err != nil {
		os.RemoveAll(e.ctrDir(r.ID))
		return nil, err
	}
	if err := e.update(func(tx *bolt.Tx) error { return e.recordContainer(tx, r, made) }); err != nil {
		os.RemoveAll(e.ctrDir(r.ID))
		return nil, err
	}
	return e.container(r), nil
}

func (e *Engine) checkCreate(ctx context.Context, o *CreateOptions) error {
	if err := o.validate(); err != nil {
		return err
	}
	if o.Network == "" {
		o.Network = defaultNetwork(len(o.Publish) > 0)
	}
	return e.checkNetwork(ctx, o)
}

// runtimeFor resolves the runtime a new container uses.
func (e *Engine) runtimeFor(name string) (string, error) {
	if name == "" {
		name = e.opts.Runtime
	}
	return e.findRuntime(name)
}

// recordContainer stores r under its name (a generated one when it has
// none), with the snapshots made for it and the volumes it creates.
func (e *Engine) recordContainer(tx *bolt.Tx, r *containerRecord, made map[digest.Digest]snapshotRecord) error {
	if _, err := getImage(tx, r.ImageID); err != nil {
		return fmt.Errorf("create: image %s was removed meanwhile: %w", shortID(r.ImageID), errdefs.ErrNotFound)
	}
	names := tx.Bucket(bucketContainerNames)
	if r.Name == "" {
		for try := 0; r.Name == "" || names.Get([]byte(r.Name)) != nil; try++ {
			r.Name = randomName(try)
		}
	} else if id := names.Get([]byte(r.Name)); id != nil {
		return fmt.Errorf("create: the name %q is in use by container %.12s: %w", r.Name, id, errdefs.ErrAlreadyExists)
	}
	r.Options.Name = r.Name
	if err := e.ensureVolumes(tx, r.Options.Mounts); err != nil {
		return err
	}
	if err := putSnapshots(tx, made); err != nil {
		return err
	}
	if err := names.Put([]byte(r.Name), []byte(r.ID)); err != nil {
		return err
	}
	return putJSON(tx, bucketContainers, r.ID, r)
}

// makeCtrDir makes the container's directory: the overlay's upper and work
// directories, the mount point, and the files bind-mounted over the
// image's /etc/hostname, /etc/hosts and /etc/resolv.conf.
func (e *Engine) makeCtrDir(r *containerRecord) error {
	dir := e.ctrDir(r.ID)
	if err := os.Mkdir(dir, 0o700); err != nil {
		return fmt.Errorf("create container directory: %w", err)
	}
	for _, d := range []string{ctrUpper, ctrWork, ctrRootfs} {
		if err := os.Mkdir(filepath.Join(dir, d), 0o755); err != nil {
			return fmt.Errorf("create container directory: %w", err)
		}
	}
	for _, m := range r.Options.Mounts {
		if m.Type != MountBind {
			continue
		}
		if _, err := os.Stat(m.Source); err != nil {
			return fmt.Errorf("create: bind mount source: %w", err)
		}
	}
	return writeEtcFiles(dir, r)
}

// ensureSnapshots unpacks again any snapshot of img that a repair removed,
// returning the records to commit. Normally all exist and it reads nothing
// but the database.
func (e *Engine) ensureSnapshots(ctx context.Context, img *Image) (map[digest.Digest]snapshotRecord, error) {
	missing := false
	err := e.view(func(tx *bolt.Tx) error {
		if _, err := getImage(tx, img.ID); err != nil {
			return err
		}
		for _, c := range img.ChainIDs {
			if tx.Bucket(bucketSnapshots).Get([]byte(c.String())) == nil {
				missing = true
			}
		}
		return nil
	})
	if err != nil || !missing {
		return nil, err
	}
	bi, err := bundle.ReadImage(ctx, e.content, img.Manifest)
	if err != nil {
		return nil, fmt.Errorf("image %s: %w", shortID(img.ID), err)
	}
	return e.unpack(ctx, bi.Manifest, bi.Config.RootFS.DiffIDs, img.ChainIDs)
}
