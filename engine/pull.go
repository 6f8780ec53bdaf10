package engine

import (
	"context"
	"fmt"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"

	"github.com/berth-oci/berth/content"
	"github.com/berth-oci/berth/errdefs"
	"github.com/berth-oci/berth/image"
	"github.com/berth-oci/berth/layout"
	"github.com/berth-oci/berth/layout/dockerarchive"
	"github.com/berth-oci/berth/registry"
	"github.com/distribution/reference"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// PullOptions control Pull.
type PullOptions struct {
	// Platform chooses from a multi-platform image; nil means the host's.
	Platform *ocispec.Platform
}

// Pull brings the image(s) ref names into the store, unpacked: from a
// registry (docker://, the default), an OCI layout (oci:PATH[:NAME]) or a
// docker-save archive (docker-archive:PATH[:REFERENCE], every image of the
// archive when no reference picks one). Blobs already in the store are not
// copied again, snapshots already unpacked are shared. A pull killed
// midway leaves no record: at worst blobs and temporary directories that
// the next collection or check removes.
func (e *Engine) Pull(ctx context.Context, ref string, o PullOptions) ([]*Image, error) {
	r, err := ParseImageRef(ref)
	if err != nil {
		return nil, err
	}
	lk, err := e.useStore()
	if err != nil {
		return nil, err
	}
	defer lk.Unlock()
	var imgs []*Image
	switch r.Transport {
	case TransportLayout:
		var img *Image
		img, err = e.pullLayout(ctx, r, o)
		imgs = []*Image{img}
	case TransportDockerArchive:
		imgs, err = e.pullArchive(ctx, r, o)
	default:
		var img *Image
		img, err = e.pullRegistry(ctx, r.Ref, o)
		imgs = []*Image{img}
	}
	if err != nil {
		return nil, fmt.Errorf("pull %s: %w", ref, err)
	}
	return imgs, nil
}

func (e *Engine) pullLayout(ctx context.Context, r ImageRef, o PullOptions) (*Image, error) {
	lr, err := layout.ParseReference(r.String())
	if err != nil {
		return nil, err
	}
	l, err := layout.Open(lr.Path)
	if err != nil {
		return nil, err
	}
	res, err := l.ResolveImage(ctx, lr.Name, o.Platform)
	if err != nil {
		return nil, err
	}
	blobs := append([]ocispec.Descriptor{res.Manifest.Config}, res.Manifest.Layers...)
	blobs = append(blobs, res.Descriptor)
	var index *ocispec.Descriptor
	if res.Root.Digest != res.Descriptor.Digest {
		root := res.Root
		root.Annotations = nil
		index = &root
		blobs = append(blobs, root)
	}
	for _, b := range blobs {
		if err := e.copyBlob(ctx, l.Store(), b); err != nil {
			return nil, err
		}
	}
	return e.addImage(ctx, plain(res.Descriptor), index, []string{layoutImageName(lr)})
}

// plain is desc without what an index entry adds (annotations, platform).
func plain(desc ocispec.Descriptor) ocispec.Descriptor {
	return ocispec.Descriptor{MediaType: desc.MediaType, Digest: desc.Digest, Size: desc.Size}
}

// copyBlob copies one blob from src into the store, verified on the way.
func (e *Engine) copyBlob(ctx context.Context, src content.Provider, desc ocispec.Descriptor) error {
	if _, err := e.content.Info(ctx, desc.Digest); err == nil {
		return nil
	}
	ra, err := src.ReaderAt(ctx, desc)
	if err != nil {
		return err
	}
	defer ra.Close()
	return content.WriteBlob(ctx, e.content, desc, content.NewReader(ra))
}

var notRepoChars = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`[^a-z0-9._-]+`)
})

// layoutImageName names an image pulled from a layout: its name in the
// layout when that is a full reference with a tag, else
// localhost/<layout directory>:<name or latest>.
func layoutImageName(r layout.Reference) string {
	if strings.ContainsAny(r.Name, "/:") {
		if named, err := reference.ParseNormalizedNamed(r.Name); err == nil {
			if _, ok := named.(reference.Tagged); ok {
				return named.String()
			}
		}
	}
	repo := strings.Trim(notRepoChars().ReplaceAllString(strings.ToLower(filepath.Base(filepath.Clean(r.Path))), "-"), "-._")
	if repo == "" {
		repo = "image"
	}
	tag := r.Name
	if !regexp.MustCompile(`^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}$`).MatchString(tag) {
		tag = "latest"
	}
	return "localhost/" + repo + ":" + tag
}

func (e *Engine) pullArchive(ctx context.Context, r ImageRef, o PullOptions) ([]*Image, error) {
	path, want, _ := strings.Cut(r.Ref, ":")
	if want != "" {
		var err error
		if want, err = NormalizeName(want); err != nil {
			return nil, err
		}
	}
	entries, err := dockerarchive.Read(ctx, path, e.content)
	if err != nil {
		return nil, err
	}
	var out []*Image
	for _, entry := range entries {
		var names []string
		for _, t := range entry.RepoTags {
			if n, err := NormalizeName(t); err == nil {
				names = append(names, n)
			}
		}
		if want != "" {
			if !slices.Contains(names, want) {
				continue
			}
			names = []string{want}
		}
		desc, index, err := e.chooseManifest(ctx, entry.Manifest, o.Platform)
		if err != nil {
			return nil, err
		}
		img, err := e.addImage(ctx, desc, index, names)
		if err != nil {
			return nil, err
		}
		out = append(out, img)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("archive %s has no image %s: %w", path, want, errdefs.ErrNotFound)
	}
	return out, nil
}

// chooseManifest returns desc when it is a manifest, or the manifest for
// platform p of the index desc (with the index).
func (e *Engine) chooseManifest(ctx context.Context, desc ocispec.Descriptor, p *ocispec.Platform) (ocispec.Descriptor, *ocispec.Descriptor, error) {
	if !image.IsIndex(desc.MediaType) {
		return plain(desc), nil, nil
	}
	data, err := content.ReadBlobLimit(ctx, e.content, desc, content.MaxManifestSize)
	if err != nil {
		return desc, nil, err
	}
	idx, err := image.ParseIndex(data)
	if err != nil {
		return desc, nil, fmt.Errorf("index %s: %w", desc.Digest, err)
	}
	want := image.Host()
	if p != nil {
		want = *p
	}
	m, err := image.SelectManifest(idx, want)
	if err != nil {
		return desc, nil, fmt.Errorf("index %s: %w", desc.Digest, err)
	}
	root := plain(desc)
	return plain(m), &root, nil
}

func (e *Engine) registryClient() *registry.Client {
	o := e.opts.Registry
	if o.Progress == nil {
		o.Progress = e.opts.Progress
	}
	return registry.New(o)
}

func (e *Engine) pullRegistry(ctx context.Context, s string, o PullOptions) (*Image, error) {
	ref, err := registry.ParseReference(s)
	if err != nil {
		return nil, err
	}
	pulled, err := e.registryClient().Pull(ctx, ref, e.content, registry.PullOptions{Platform: o.Platform})
	if err != nil {
		return nil, err
	}
	var index *ocispec.Descriptor
	if pulled.Root.Digest != pulled.Manifest.Digest {
		root := plain(pulled.Root)
		index = &root
	}
	name := ref.String()
	if ref.Tag == "" {
		name = ref.Name() + "@" + pulled.Root.Digest.String()
	}
	return e.addImage(ctx, plain(pulled.Manifest), index, []string{name})
}
