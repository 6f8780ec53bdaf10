package bundle

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/berth-oci/berth/content"
	"github.com/berth-oci/berth/errdefs"
	"github.com/berth-oci/berth/internal/atomicfile"
	"github.com/berth-oci/berth/layer"
	digest "github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// RootfsDir is the name of a bundle's root filesystem directory.
const RootfsDir = "rootfs"

// SourceFile records, in a bundle berth unpacked, which image it came
// from, so that repack can tell what changed.
const SourceFile = "berth.json"

// Source is the content of SourceFile: the image a bundle came from and
// how its files were owned, so repack can rebuild the original tree.
type Source struct {
	Manifest ocispec.Descriptor `json:"manifest"`
	Config   ocispec.Descriptor `json:"config"`
	Rootless bool               `json:"rootless,omitempty"`
	UIDMap   []layer.IDMap      `json:"uidMap,omitempty"`
	GIDMap   []layer.IDMap      `json:"gidMap,omitempty"`
}

// Image is an image to unpack: its manifest and config, read and
// validated, and where its blobs are.
type Image struct {
	Descriptor ocispec.Descriptor
	Manifest   *ocispec.Manifest
	Config     *ocispec.Image
	Store      content.Provider
}

// UnpackOptions control Unpack.
type UnpackOptions struct {
	Options
	// UIDMap and GIDMap shift file ownership for a user-namespaced
	// container (and are written into config.json).
	UIDMap, GIDMap []layer.IDMap
	// Warn receives what layer application skipped.
	Warn func(string)
}

// Unpack makes a runtime bundle of img in dir, which must not exist or
// be empty: dir/rootfs with every layer applied in order, each verified
// against its digest and diff_id as it streams, and dir/config.json
// generated from the image config. The root filesystem is built under a
// temporary name and renamed into place only when complete, so a failure
// leaves no rootfs that looks whole.
func Unpack(ctx context.Context, img Image, dir string, o UnpackOptions) error {
	if err := prepareDir(dir); err != nil {
		return err
	}
	tmp, err := os.MkdirTemp(dir, ".rootfs-")
	if err != nil {
		return fmt.Errorf("unpack: %w", err)
	}
	defer os.RemoveAll(tmp)
	if err := os.Chmod(tmp, 0o755); err != nil {
		return err
	}
	if err := ApplyLayers(ctx, img, tmp, o); err != nil {
		return err
	}
	spec, err := Generate(img.Config, tmp, o.Options)
	if err != nil {
		return fmt.Errorf("unpack: config.json: %w", err)
	}
	if len(o.UIDMap) > 0 || len(o.GIDMap) > 0 {
		setMappings(spec, o.UIDMap, o.GIDMap)
	}
	if err := os.Rename(tmp, filepath.Join(dir, RootfsDir)); err != nil {
		return fmt.Errorf("unpack: %w", err)
	}
	src := Source{Manifest: img.Descriptor, Config: img.Manifest.Config, Rootless: o.Rootless, UIDMap: o.UIDMap, GIDMap: o.GIDMap}
	if err := writeSource(dir, src); err != nil {
		return err
	}
	return WriteConfig(dir, spec)
}

// ApplyLayers applies the layers of img, in order, onto root.
func ApplyLayers(ctx context.Context, img Image, root string, o UnpackOptions) error {
	if len(img.Manifest.Layers) != len(img.Config.RootFS.DiffIDs) {
		return fmt.Errorf("unpack: %d layers but %d diff_ids: %w", len(img.Manifest.Layers), len(img.Config.RootFS.DiffIDs), errdefs.ErrInvalidArgument)
	}
	for i, l := range img.Manifest.Layers {
		if err := applyOne(ctx, img.Store, root, l, img.Config.RootFS.DiffIDs[i], o); err != nil {
			return fmt.Errorf("unpack layer %d (%s): %w", i, l.Digest, err)
		}
	}
	return nil
}

func applyOne(ctx context.Context, p content.Provider, root string, l ocispec.Descriptor, diffID digest.Digest, o UnpackOptions) error {
	ra, err := p.ReaderAt(ctx, l)
	if err != nil {
		return err
	}
	defer ra.Close()
	if ra.Size() != l.Size {
		return fmt.Errorf("stored blob is %d bytes, the manifest says %d: %w", ra.Size(), l.Size, errdefs.ErrDigestMismatch)
	}
	limit, err := layer.SpaceLimit(root)
	if err != nil {
		return err
	}
	_, err = layer.Apply(ctx, root, content.NewReader(ra), layer.ApplyOptions{
		MediaType: l.MediaType, Digest: l.Digest, DiffID: diffID, MaxSize: limit,
		UIDMap: o.UIDMap, GIDMap: o.GIDMap, Rootless: o.Rootless, Warn: o.Warn,
	})
	return err
}

// prepareDir makes dir, or accepts it when it exists and is empty.
func prepareDir(dir string) error {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return os.MkdirAll(dir, 0o700)
	}
	if err != nil {
		return fmt.Errorf("unpack: %w", err)
	}
	if len(entries) > 0 {
		return fmt.Errorf("unpack: %s is not empty: %w", dir, errdefs.ErrAlreadyExists)
	}
	return nil
}

func writeSource(dir string, s Source) error {
	data, err := json.MarshalIndent(s, "", "\t")
	if err != nil {
		return err
	}
	return atomicfile.WriteFile(filepath.Join(dir, SourceFile), data, 0o644)
}

// ReadSource reads what image the bundle in dir was unpacked from.
func ReadSource(dir string) (Source, error) {
	var s Source
	path := filepath.Join(dir, SourceFile)
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return s, fmt.Errorf("%s: not a bundle berth unpacked (no %s): %w", dir, SourceFile, errdefs.ErrNotFound)
	}
	if err != nil {
		return s, err
	}
	if err := json.Unmarshal(data, &s); err != nil {
		return s, fmt.Errorf("%s: %v: %w", path, err, errdefs.ErrInvalidArgument)
	}
	return s, nil
}

// setMappings puts the id mappings the files were shifted by into the
// config, with the user namespace they need.
func setMappings(s *specs.Spec, uids, gids []layer.IDMap) {
	conv := func(ms []layer.IDMap) []specs.LinuxIDMapping {
		out := make([]specs.LinuxIDMapping, 0, len(ms))
		for _, m := range ms {
			out = append(out, specs.LinuxIDMapping{ContainerID: m.ContainerID, HostID: m.HostID, Size: m.Size})
		}
		return out
	}
	s.Linux.UIDMappings, s.Linux.GIDMappings = conv(uids), conv(gids)
	for _, ns := range s.Linux.Namespaces {
		if ns.Type == specs.UserNamespace {
			return
		}
	}
	s.Linux.Namespaces = append(s.Linux.Namespaces, specs.LinuxNamespace{Type: specs.UserNamespace})
}
