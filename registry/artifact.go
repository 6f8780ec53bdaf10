package registry

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/berth-oci/berth/content"
	"github.com/berth-oci/berth/errdefs"
	"github.com/berth-oci/berth/image"
	"github.com/berth-oci/berth/internal/atomicfile"
	digest "github.com/opencontainers/go-digest"
	"github.com/opencontainers/image-spec/specs-go"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// ArtifactFile is one file of an artifact.
type ArtifactFile struct {
	// Path is the file on disk; its base name becomes the layer's title.
	Path string
	// MediaType of the layer; empty means application/octet-stream.
	MediaType string
}

// Artifact describes an artifact to push (image-spec's "Guidelines for
// Artifact Usage"): an image manifest with artifactType set, the empty
// config, and one layer per file.
type Artifact struct {
	// ArtifactType is required (the config is the empty descriptor).
	ArtifactType string
	Files        []ArtifactFile
	// Subject, when set, attaches the artifact to that manifest; it joins
	// the subject's referrers.
	Subject     *ocispec.Descriptor
	Annotations map[string]string
}

// PushArtifact pushes a to ref (under its tag, or by digest only when ref
// has none) and returns the manifest's descriptor.
func (c *Client) PushArtifact(ctx context.Context, ref Reference, a Artifact) (ocispec.Descriptor, error) {
	if a.ArtifactType == "" {
		return ocispec.Descriptor{}, fmt.Errorf("push artifact to %s: an artifact type is required: %w", ref.Name(), errdefs.ErrInvalidArgument)
	}
	src := memProvider{}
	empty := ocispec.DescriptorEmptyJSON
	src[empty.Digest] = blobSource{data: empty.Data}
	m := ocispec.Manifest{
		Versioned: specs.Versioned{SchemaVersion: 2}, MediaType: ocispec.MediaTypeImageManifest,
		ArtifactType: a.ArtifactType, Config: descNoData(empty), Subject: a.Subject, Annotations: a.Annotations,
	}
	for _, f := range a.Files {
		d, err := describeFile(f)
		if err != nil {
			return ocispec.Descriptor{}, fmt.Errorf("push artifact to %s: %w", ref.Name(), err)
		}
		src[d.Digest] = blobSource{path: f.Path}
		m.Layers = append(m.Layers, d)
	}
	if len(m.Layers) == 0 {
		m.Layers = []ocispec.Descriptor{descNoData(empty)}
	}
	data, err := json.Marshal(m)
	if err != nil {
		return ocispec.Descriptor{}, err
	}
	desc := ocispec.Descriptor{MediaType: m.MediaType, ArtifactType: a.ArtifactType, Digest: digest.FromBytes(data), Size: int64(len(data))}
	src[desc.Digest] = blobSource{data: data}
	if err := c.Push(ctx, ref, src, desc, PushOptions{}); err != nil {
		return ocispec.Descriptor{}, err
	}
	return desc, nil
}

func descNoData(d ocispec.Descriptor) ocispec.Descriptor {
	d.Data = nil
	return d
}

// describeFile hashes a file into a layer descriptor titled by its name.
func describeFile(f ArtifactFile) (ocispec.Descriptor, error) {
	fh, err := os.Open(f.Path)
	if err != nil {
		return ocispec.Descriptor{}, err
	}
	defer fh.Close()
	h := sha256.New()
	n, err := io.Copy(h, fh)
	if err != nil {
		return ocispec.Descriptor{}, fmt.Errorf("read %s: %w", f.Path, err)
	}
	mt := f.MediaType
	if mt == "" {
		mt = "application/octet-stream"
	}
	return ocispec.Descriptor{
		MediaType: mt, Digest: digest.NewDigest(digest.SHA256, h), Size: n,
		Annotations: map[string]string{ocispec.AnnotationTitle: filepath.Base(f.Path)},
	}, nil
}

// PulledArtifact is what PullArtifact stored and wrote.
type PulledArtifact struct {
	Manifest     ocispec.Descriptor
	ArtifactType string
	// Files are the paths written, one per titled layer.
	Files []string
}

// PullArtifact pulls the artifact ref names into store (verified, like
// Pull), then writes every layer that carries an
// org.opencontainers.image.title annotation into dir under that name,
// atomically. Layers without a title are kept in the store only. A title
// that is not a plain file name (a path, "..") is refused: an artifact must
// not write outside dir.
func (c *Client) PullArtifact(ctx context.Context, ref Reference, store content.Store, dir string) (PulledArtifact, error) {
	pulled, err := c.Pull(ctx, ref, store, PullOptions{})
	if err != nil {
		return PulledArtifact{}, err
	}
	data, err := content.ReadBlobLimit(ctx, store, pulled.Manifest, content.MaxManifestSize)
	if err != nil {
		return PulledArtifact{}, err
	}
	m, err := image.ParseManifest(data)
	if err != nil {
		return PulledArtifact{}, err
	}
	out := PulledArtifact{Manifest: pulled.Manifest, ArtifactType: m.ArtifactType}
	if out.ArtifactType == "" {
		out.ArtifactType = m.Config.MediaType
	}
	for _, l := range m.Layers {
		title := l.Annotations[ocispec.AnnotationTitle]
		if title == "" {
			continue
		}
		if title != filepath.Base(title) || title == "." || title == ".." || strings.ContainsRune(title, '\\') {
			return out, fmt.Errorf("pull artifact %s: layer %s has title %q, which is not a plain file name: %w", ref, l.Digest, title, errdefs.ErrInvalidArgument)
		}
		path := filepath.Join(dir, title)
		if err := copyBlobToFile(ctx, store, l, path); err != nil {
			return out, fmt.Errorf("pull artifact %s: %w", ref, err)
		}
		out.Files = append(out.Files, path)
	}
	return out, nil
}

// copyBlobToFile writes the blob d to path atomically: a failure leaves
// whatever was at path before.
func copyBlobToFile(ctx context.Context, p content.Provider, d ocispec.Descriptor, path string) (err error) {
	ra, err := p.ReaderAt(ctx, d)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := ra.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("close blob %s: %w", d.Digest, cerr)
		}
	}()
	f, err := atomicfile.New(path, 0o644)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := f.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("write %s: %w", path, cerr)
		}
	}()
	if err := content.Copy(ctx, f, content.NewReader(ra)); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return f.Commit()
}
