package engine

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/berth-oci/berth/bundle"
	"github.com/berth-oci/berth/engine/oci"
	"github.com/berth-oci/berth/engine/snapshot"
	"github.com/berth-oci/berth/errdefs"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	bolt "go.etcd.io/bbolt"
	"golang.org/x/sys/unix"
)

// runtime returns the runtime of container r with its state directory
// under RunRoot: one per runtime binary, since their state formats differ.
func (e *Engine) runtime(r *containerRecord) *oci.Runtime {
	sum := sha256.Sum256([]byte(r.Runtime))
	name := filepath.Base(r.Runtime) + "-" + hex.EncodeToString(sum[:4])
	return &oci.Runtime{Path: r.Runtime, Root: filepath.Join(e.runRoot, "runtime", name)}
}

// prepare makes container r ready to start: its root filesystem mounted
// and its config.json generated. The caller holds the container's lock.
func (e *Engine) prepare(ctx context.Context, r *containerRecord) (*specs.Spec, error) {
	rootfs := e.ctrPath(r.ID, ctrRootfs)
	if err := e.mountRootfs(ctx, r); err != nil {
		return nil, err
	}
	var netns string
	if usesNetwork(r.Options.Network) {
		var err error
		if netns, err = e.connect(ctx, r); err != nil {
			snapshot.Unmount(rootfs)
			return nil, err
		}
	}
	s, err := e.buildSpec(ctx, r, rootfs, netns)
	if err == nil {
		err = e.copyUp(ctx, r, rootfs)
	}
	if err == nil {
		err = checkCommand(rootfs, s)
	}
	if err == nil {
		err = writeSpec(e.ctrDir(r.ID), s)
	}
	if err != nil {
		e.disconnect(ctx, r)
		snapshot.Unmount(rootfs)
		return nil, err
	}
	return s, nil
}

// mountRootfs mounts the container's overlay unless it is mounted. A
// snapshot a repair removed is unpacked again first.
func (e *Engine) mountRootfs(ctx context.Context, r *containerRecord) error {
	rootfs := e.ctrPath(r.ID, ctrRootfs)
	if ok, err := snapshot.IsMounted(rootfs); err != nil || ok {
		return err
	}
	// A --rm container's changes die with it: its overlay need not be
	// synced, not even when unmounted (which would sync the whole disk).
	// Overlayfs refuses to mount an upper directory mounted volatile before
	// until its work/work/incompat is gone.
	volatile := r.Options.Remove
	if volatile {
		os.RemoveAll(e.ctrPath(r.ID, ctrWork, "work", "incompat"))
	}
	mount := func() error {
		return e.snaps.Mount(rootfs, r.ChainIDs, e.ctrPath(r.ID, ctrUpper), e.ctrPath(r.ID, ctrWork), volatile)
	}
	err := mount()
	if err == nil || !errors.Is(err, unix.ENOENT) {
		return err
	}
	if rerr := e.restoreSnapshots(ctx, r); rerr != nil {
		return fmt.Errorf("%w (and restoring its snapshots failed: %v)", err, rerr)
	}
	return mount()
}

// restoreSnapshots unpacks again the snapshots of r's image that are gone
// from disk.
func (e *Engine) restoreSnapshots(ctx context.Context, r *containerRecord) error {
	img, err := e.LookupImage(ctx, r.ImageID.String())
	if err != nil {
		return fmt.Errorf("container %s: its image is gone: %w", r.Name, errdefs.ErrFailedPrecondition)
	}
	lk, err := e.useStore()
	if err != nil {
		return err
	}
	defer lk.Unlock()
	bi, err := bundle.ReadImage(ctx, e.content, img.Manifest)
	if err != nil {
		return err
	}
	made, err := e.unpack(ctx, bi.Manifest, bi.Config.RootFS.DiffIDs, img.ChainIDs)
	if err != nil {
		return err
	}
	return e.update(func(tx *bolt.Tx) error { return putSnapshots(tx, made) })
}

// writeSpec writes config.json into the container's directory. It is
// rewritten on every start, so it is not synced.
func writeSpec(dir string, s *specs.Spec) error {
	data, err := json.Marshal(s)
	if err != nil {
		return fmt.Errorf("encode %s: %w", bundle.ConfigFile, err)
	}
	if err := os.WriteFile(filepath.Join(dir, bundle.ConfigFile), data, 0o600); err != nil {
		return fmt.Errorf("write %s: %w", bundle.ConfigFile, err)
	}
	return nil
}

// readSpec reads the config.json of container id.
func (e *Engine) readSpec(id string) (*specs.Spec, error) {
	return bundle.ReadConfig(e.ctrDir(id))
}
