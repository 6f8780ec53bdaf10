package dockerarchive

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path"
	"strings"

	"github.com/berth-oci/berth/content"
	"github.com/berth-oci/berth/errdefs"
	"github.com/berth-oci/berth/image"
	digest "github.com/opencontainers/go-digest"
	"github.com/opencontainers/image-spec/specs-go"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// Image is one image of an archive, imported into a content store.
type Image struct {
	// Manifest describes an image manifest or index in the store.
	Manifest ocispec.Descriptor
	// RepoTags are the names the archive gives it ("busybox:latest").
	RepoTags []string
}

// annotationImageName is where containerd and Docker 25+ put the full name
// of an image in an archive's index.json.
const annotationImageName = "io.containerd.image.name"

// Read imports every image of the docker-save archive at file into store
// and returns them. Every blob is verified before it is stored (the
// archive's config names and layer diff_ids are checked), so a corrupt
// archive stores nothing that is not whole and correct.
func Read(ctx context.Context, file string, store content.Store) ([]Image, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, fmt.Errorf("read docker archive: %w", err)
	}
	defer f.Close()
	ti, err := indexTar(f, file)
	if err != nil {
		return nil, err
	}
	if ti.has(ocispec.ImageIndexFile) && ti.has(ocispec.ImageLayoutFile) {
		return readOCI(ctx, ti, store)
	}
	return readLegacy(ctx, ti, store)
}

// ReadStream is Read for an archive on a stream (a pipe, stdin): it is
// copied to a temporary file first, since members are read out of order.
func ReadStream(ctx context.Context, r io.Reader, store content.Store) ([]Image, error) {
	tmp, err := os.CreateTemp("", "berth-load-*.tar")
	if err != nil {
		return nil, fmt.Errorf("read docker archive: %w", err)
	}
	defer os.Remove(tmp.Name())
	defer tmp.Close()
	if err := content.Copy(ctx, tmp, r); err != nil {
		return nil, fmt.Errorf("read docker archive: copy input: %w", err)
	}
	return Read(ctx, tmp.Name(), store)
}

func readManifestJSON(ti *tarIndex) ([]manifestEntry, error) {
	data, err := ti.readAll(manifestFile, content.MaxManifestSize)
	if err != nil {
		return nil, err
	}
	var entries []manifestEntry
	if err := json.Unmarshal(data, &entries); err != nil {
		return nil, fmt.Errorf("%s: %s: %v: %w", ti.path, manifestFile, err, errdefs.ErrInvalidArgument)
	}
	return entries, nil
}

func readLegacy(ctx context.Context, ti *tarIndex, store content.Store) ([]Image, error) {
	entries, err := readManifestJSON(ti)
	if err != nil {
		return nil, err
	}
	if len(entries) == 0 {
		return nil, fmt.Errorf("%s: %s lists no images: %w", ti.path, manifestFile, errdefs.ErrInvalidArgument)
	}
	out := make([]Image, 0, len(entries))
	for i, e := range entries {
		desc, err := importLegacy(ctx, ti, store, e)
		if err != nil {
			return nil, fmt.Errorf("%s: %s[%d]: %w", ti.path, manifestFile, i, err)
		}
		out = append(out, Image{Manifest: desc, RepoTags: e.RepoTags})
	}
	return out, nil
}

// importLegacy stores the config and layers of one classic entry and a new
// OCI manifest for them.
func importLegacy(ctx context.Context, ti *tarIndex, store content.Store, e manifestEntry) (ocispec.Descriptor, error) {
	cfgData, err := ti.readAll(e.Config, content.MaxReadSize)
	if err != nil {
		return ocispec.Descriptor{}, err
	}
	cfg, err := image.ParseConfig(cfgData)
	if err != nil {
		return ocispec.Descriptor{}, fmt.Errorf("config %s: %w", e.Config, err)
	}
	cfgDesc := ocispec.Descriptor{MediaType: ocispec.MediaTypeImageConfig, Digest: digest.FromBytes(cfgData), Size: int64(len(cfgData))}
	if hex := strings.TrimSuffix(path.Base(e.Config), ".json"); len(hex) == 64 && hex != cfgDesc.Digest.Encoded() {
		return ocispec.Descriptor{}, fmt.Errorf("config %s hashes to %s: %w", e.Config, cfgDesc.Digest, errdefs.ErrDigestMismatch)
	}
	if len(e.Layers) != len(cfg.RootFS.DiffIDs) {
		return ocispec.Descriptor{}, fmt.Errorf("%d layers but the config lists %d diff_ids: %w", len(e.Layers), len(cfg.RootFS.DiffIDs), errdefs.ErrInvalidArgument)
	}
	// Verify every layer before storing anything, so a bad archive leaves
	// the store as it was.
	m := ocispec.Manifest{Versioned: specs.Versioned{SchemaVersion: 2}, MediaType: ocispec.MediaTypeImageManifest, Config: cfgDesc}
	for i, name := range e.Layers {
		ld, err := verifyLayer(ti, name, cfg.RootFS.DiffIDs[i])
		if err != nil {
			return ocispec.Descriptor{}, err
		}
		m.Layers = append(m.Layers, ld)
	}
	for i, ld := range m.Layers {
		sr, _ := ti.open(e.Layers[i])
		if err := content.WriteBlob(ctx, store, ld, sr); err != nil {
			return ocispec.Descriptor{}, fmt.Errorf("layer %s: %w", e.Layers[i], err)
		}
	}
	if err := content.WriteBlob(ctx, store, cfgDesc, bytes.NewReader(cfgData)); err != nil {
		return ocispec.Descriptor{}, fmt.Errorf("config %s: %w", e.Config, err)
	}
	return writeJSON(ctx, store, ocispec.MediaTypeImageManifest, m, &ocispec.Platform{OS: cfg.OS, Architecture: cfg.Architecture, Variant: cfg.Variant})
}

// verifyLayer hashes the member name (as stored, and decompressed for its
// diff_id), checks the diff_id and returns the layer's descriptor.
func verifyLayer(ti *tarIndex, name string, diffID digest.Digest) (ocispec.Descriptor, error) {
	sr, err := ti.open(name)
	if err != nil {
		return ocispec.Descriptor{}, err
	}
	mt, err := layerMediaType(sr)
	if err != nil {
		return ocispec.Descriptor{}, fmt.Errorf("layer %s: %w", name, err)
	}
	blobHash := sha256.New()
	got, err := diffIDOf(io.TeeReader(sr, blobHash), mt)
	if err != nil {
		return ocispec.Descriptor{}, fmt.Errorf("layer %s: %w", name, err)
	}
	if got != diffID {
		return ocispec.Descriptor{}, fmt.Errorf("layer %s: content has diff_id %s, the config says %s: %w", name, got, diffID, errdefs.ErrDigestMismatch)
	}
	return ocispec.Descriptor{MediaType: mt, Digest: digest.NewDigest(digest.SHA256, blobHash), Size: sr.Size()}, nil
}

func writeJSON(ctx context.Context, store content.Ingester, mt string, v any, p *ocispec.Platform) (ocispec.Descriptor, error) {
	data, err := json.Marshal(v)
	if err != nil {
		return ocispec.Descriptor{}, fmt.Errorf("encode %s: %w", mt, err)
	}
	desc := ocispec.Descriptor{MediaType: mt, Digest: digest.FromBytes(data), Size: int64(len(data)), Platform: p}
	if p != nil && p.OS == "" {
		desc.Platform = nil
	}
	return desc, content.WriteBlob(ctx, store, desc, bytes.NewReader(data))
}
