// Package testimage builds real images for tests: layers of random files
// as tar+gzip, a config whose diff_ids match, a manifest, and optionally a
// multi-platform index, written into any content store.
package testimage

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand"
	"time"

	"github.com/berth-oci/berth/content"
	"github.com/klauspost/compress/gzip"
	digest "github.com/opencontainers/go-digest"
	"github.com/opencontainers/image-spec/specs-go"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// File is one entry of a layer.
type File struct {
	Name     string
	Body     []byte
	Mode     int64
	Typeflag byte   // tar.TypeReg when 0
	Linkname string // for symlinks and hardlinks
}

// Image is what Build wrote.
type Image struct {
	Manifest     ocispec.Descriptor
	ManifestData []byte
	Config       ocispec.Descriptor
	ConfigData   []byte
	Layers       []ocispec.Descriptor
	DiffIDs      []digest.Digest
}

// Options shape a built image; the zero value gives one layer of a few
// random files for the host-independent platform linux/amd64.
type Options struct {
	Layers      [][]File         // explicit layers; random ones when nil
	NumLayers   int              // how many random layers (default 1)
	LayerSize   int              // bytes of random data per random layer (default 4 KiB)
	Platform    ocispec.Platform // default linux/amd64
	Seed        int64            // for random content; same seed, same image
	Config      ocispec.ImageConfig
	Annotations map[string]string
}

// Build writes an image into store and returns its descriptors.
func Build(ctx context.Context, store content.Ingester, o Options) (*Image, error) {
	if o.Platform.OS == "" {
		o.Platform = ocispec.Platform{OS: "linux", Architecture: "amd64"}
	}
	layers := o.Layers
	if layers == nil {
		layers = randomLayers(o)
	}
	img := &Image{}
	for i, files := range layers {
		tarball, gz, err := Layer(files)
		if err != nil {
			return nil, fmt.Errorf("layer %d: %w", i, err)
		}
		d := ocispec.Descriptor{MediaType: ocispec.MediaTypeImageLayerGzip, Digest: digest.FromBytes(gz), Size: int64(len(gz))}
		if err := content.WriteBlob(ctx, store, d, bytes.NewReader(gz)); err != nil {
			return nil, err
		}
		img.Layers = append(img.Layers, d)
		img.DiffIDs = append(img.DiffIDs, digest.FromBytes(tarball))
	}
	created := time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
	cfg := ocispec.Image{
		Created:  &created,
		Platform: o.Platform,
		Config:   o.Config,
		RootFS:   ocispec.RootFS{Type: "layers", DiffIDs: img.DiffIDs},
	}
	for range img.Layers {
		cfg.History = append(cfg.History, ocispec.History{Created: &created, CreatedBy: "berth testimage"})
	}
	var err error
	if img.Config, img.ConfigData, err = put(ctx, store, ocispec.MediaTypeImageConfig, cfg); err != nil {
		return nil, err
	}
	m := ocispec.Manifest{
		Versioned:   specs.Versioned{SchemaVersion: 2},
		MediaType:   ocispec.MediaTypeImageManifest,
		Config:      img.Config,
		Layers:      img.Layers,
		Annotations: o.Annotations,
	}
	if img.Manifest, img.ManifestData, err = put(ctx, store, ocispec.MediaTypeImageManifest, m); err != nil {
		return nil, err
	}
	p := o.Platform
	img.Manifest.Platform = &p
	return img, nil
}

// BuildIndex writes one image per platform and an index over them.
func BuildIndex(ctx context.Context, store content.Ingester, platforms []ocispec.Platform, o Options) (ocispec.Descriptor, []*Image, error) {
	idx := ocispec.Index{Versioned: specs.Versioned{SchemaVersion: 2}, MediaType: ocispec.MediaTypeImageIndex}
	var imgs []*Image
	for i, p := range platforms {
		po := o
		po.Platform = p
		po.Seed = o.Seed + int64(i)*1000
		img, err := Build(ctx, store, po)
		if err != nil {
			return ocispec.Descriptor{}, nil, err
		}
		imgs = append(imgs, img)
		idx.Manifests = append(idx.Manifests, img.Manifest)
	}
	d, _, err := put(ctx, store, ocispec.MediaTypeImageIndex, idx)
	return d, imgs, err
}

func put(ctx context.Context, store content.Ingester, mt string, v any) (ocispec.Descriptor, []byte, error) {
	data, err := json.Marshal(v)
	if err != nil {
		return ocispec.Descriptor{}, nil, err
	}
	d := ocispec.Descriptor{MediaType: mt, Digest: digest.FromBytes(data), Size: int64(len(data))}
	return d, data, content.WriteBlob(ctx, store, d, bytes.NewReader(data))
}

func randomLayers(o Options) [][]File {
	n, size := o.NumLayers, o.LayerSize
	if n == 0 {
		n = 1
	}
	if size == 0 {
		size = 4 << 10
	}
	rnd := rand.New(rand.NewSource(o.Seed))
	var layers [][]File
	for i := 0; i < n; i++ {
		body := make([]byte, size)
		rnd.Read(body)
		layers = append(layers, []File{
			{Name: fmt.Sprintf("layer%d/", i), Mode: 0o755, Typeflag: tar.TypeDir},
			{Name: fmt.Sprintf("layer%d/data", i), Body: body, Mode: 0o644},
			{Name: fmt.Sprintf("layer%d/hello.txt", i), Body: []byte(fmt.Sprintf("hello from layer %d\n", i)), Mode: 0o644},
		})
	}
	return layers
}

// Layer returns files as a tar and as its gzip compression.
func Layer(files []File) (tarball, gz []byte, err error) {
	var tb bytes.Buffer
	tw := tar.NewWriter(&tb)
	for _, f := range files {
		h := &tar.Header{Name: f.Name, Mode: f.Mode, Typeflag: f.Typeflag, Linkname: f.Linkname, ModTime: time.Unix(1700000000, 0), Format: tar.FormatPAX}
		if h.Typeflag == 0 {
			h.Typeflag = tar.TypeReg
		}
		if h.Typeflag == tar.TypeReg {
			h.Size = int64(len(f.Body))
		}
		if err := tw.WriteHeader(h); err != nil {
			return nil, nil, err
		}
		if h.Typeflag == tar.TypeReg {
			if _, err := tw.Write(f.Body); err != nil {
				return nil, nil, err
			}
		}
	}
	if err := tw.Close(); err != nil {
		return nil, nil, err
	}
	var gb bytes.Buffer
	zw := gzip.NewWriter(&gb)
	if _, err := zw.Write(tb.Bytes()); err != nil {
		return nil, nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, nil, err
	}
	return tb.Bytes(), gb.Bytes(), nil
}
