package bundle

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/berth-oci/berth/content"
	"github.com/berth-oci/berth/errdefs"
	"github.com/berth-oci/berth/image"
	"github.com/berth-oci/berth/layer"
	digest "github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// RepackOptions control Repack.
type RepackOptions struct {
	// Compression of the new layer: "gzip" (the default, compressed in
	// parallel), "zstd" or "none".
	Compression string
	// CreatedBy and Comment go into the new history entry.
	CreatedBy, Comment string
	// Created is the time recorded in the config and history; zero means now.
	Created time.Time
}

// Repack records the changes made to the root filesystem of the bundle in
// dir (one berth unpacked from an image in store) as a new image: the
// image it came from plus one layer holding the changes, with the config's
// diff_ids and history extended. The new blobs are written to store and
// the bundle is marked as coming from the new image, so repacking again
// records only later changes. Nothing changed gives a new history entry
// marked empty_layer and no layer.
func Repack(ctx context.Context, store content.Store, dir string, o RepackOptions) (Image, error) {
	src, err := ReadSource(dir)
	if err != nil {
		return Image{}, err
	}
	old, err := ReadImage(ctx, store, src.Manifest)
	if err != nil {
		return Image{}, fmt.Errorf("repack: the bundle's image: %w", err)
	}
	base, err := os.MkdirTemp(dir, ".base-")
	if err != nil {
		return Image{}, fmt.Errorf("repack: %w", err)
	}
	defer os.RemoveAll(base)
	if err := ApplyLayers(ctx, old, base, UnpackOptions{Options: Options{Rootless: src.Rootless}, UIDMap: src.UIDMap, GIDMap: src.GIDMap}); err != nil {
		return Image{}, fmt.Errorf("repack: rebuild the original tree: %w", err)
	}
	diff, err := diffToStore(ctx, store, base, filepath.Join(dir, RootfsDir), dir, o)
	if err != nil {
		return Image{}, err
	}
	img, err := extend(ctx, store, old, diff, o)
	if err != nil {
		return Image{}, err
	}
	src.Manifest, src.Config = img.Descriptor, img.Manifest.Config
	return img, writeSource(dir, src)
}

// diffToStore writes the changes from base to changed as a blob in
// store; nil when there are none.
func diffToStore(ctx context.Context, store content.Store, base, changed, tmpDir string, o RepackOptions) (*layer.DiffResult, error) {
	f, err := os.CreateTemp(tmpDir, ".layer-")
	if err != nil {
		return nil, fmt.Errorf("repack: %w", err)
	}
	defer os.Remove(f.Name())
	defer f.Close()
	comp, err := compression(o.Compression)
	if err != nil {
		return nil, err
	}
	res, err := layer.Diff(ctx, base, changed, f, layer.DiffOptions{Compression: comp})
	if err != nil {
		return nil, fmt.Errorf("repack: diff %s: %w", changed, err)
	}
	if res.Entries == 0 {
		return nil, nil
	}
	if _, err := f.Seek(0, 0); err != nil {
		return nil, err
	}
	desc := ocispec.Descriptor{MediaType: res.MediaType, Digest: res.Digest, Size: res.Size}
	if err := content.WriteBlob(ctx, store, desc, f); err != nil {
		return nil, fmt.Errorf("repack: store layer: %w", err)
	}
	return &res, nil
}

func compression(s string) (layer.Compression, error) {
	switch s {
	case "", "gzip":
		return layer.Gzip, nil
	case "zstd":
		return layer.Zstd, nil
	case "none":
		return layer.None, nil
	}
	return 0, fmt.Errorf("compression %q: want gzip, zstd or none: %w", s, errdefs.ErrInvalidArgument)
}

// extend writes the config and manifest of old plus the layer diff.
func extend(ctx context.Context, store content.Store, old Image, diff *layer.DiffResult, o RepackOptions) (Image, error) {
	created := o.Created
	if created.IsZero() {
		created = time.Now().UTC()
	}
	cfg := *old.Config
	cfg.Created = &created
	cfg.RootFS.DiffIDs = append([]digest.Digest{}, old.Config.RootFS.DiffIDs...)
	cfg.History = append([]ocispec.History{}, old.Config.History...)
	h := ocispec.History{Created: &created, CreatedBy: o.CreatedBy, Comment: o.Comment, EmptyLayer: diff == nil}
	if h.CreatedBy == "" {
		h.CreatedBy = "berth image repack"
	}
	cfg.History = append(cfg.History, h)
	m := *old.Manifest
	m.Layers = append([]ocispec.Descriptor{}, old.Manifest.Layers...)
	if diff != nil {
		cfg.RootFS.DiffIDs = append(cfg.RootFS.DiffIDs, diff.DiffID)
		m.Layers = append(m.Layers, ocispec.Descriptor{MediaType: diff.MediaType, Digest: diff.Digest, Size: diff.Size})
	}
	return writeImage(ctx, store, m, cfg)
}

func putJSON(ctx context.Context, store content.Ingester, mt string, v any) (ocispec.Descriptor, error) {
	data, err := json.Marshal(v)
	if err != nil {
		return ocispec.Descriptor{}, err
	}
	d := ocispec.Descriptor{MediaType: mt, Digest: digest.FromBytes(data), Size: int64(len(data))}
	return d, content.WriteBlob(ctx, store, d, bytes.NewReader(data))
}

// ReadImage reads and validates the manifest desc and its config from p.
func ReadImage(ctx context.Context, p content.Provider, desc ocispec.Descriptor) (Image, error) {
	data, err := content.ReadBlobLimit(ctx, p, desc, content.MaxManifestSize)
	if err != nil {
		return Image{}, err
	}
	m, err := image.ParseManifest(data)
	if err != nil {
		return Image{}, fmt.Errorf("manifest %s: %w", desc.Digest, err)
	}
	cdata, err := content.ReadBlob(ctx, p, m.Config)
	if err != nil {
		return Image{}, err
	}
	cfg, err := image.ParseConfig(cdata)
	if err != nil {
		return Image{}, fmt.Errorf("config %s: %w", m.Config.Digest, err)
	}
	if err := image.CheckConfigMatches(m, cfg); err != nil {
		return Image{}, fmt.Errorf("manifest %s: %w", desc.Digest, err)
	}
	return Image{Descriptor: desc, Manifest: m, Config: cfg, Store: p}, nil
}
