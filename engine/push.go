package engine

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/berth-oci/berth/content"
	"github.com/berth-oci/berth/errdefs"
	"github.com/berth-oci/berth/layout"
	"github.com/berth-oci/berth/layout/dockerarchive"
	"github.com/berth-oci/berth/registry"
	"github.com/distribution/reference"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// Push copies the image s (any name LookupImage takes) to dest: a registry
// (docker://REF or a plain reference; the image's own name when dest is
// empty), an OCI layout (oci:PATH[:NAME]) or a docker archive
// (docker-archive:PATH[:REF]). The image manifest is pushed, not the index
// it was chosen from.
func (e *Engine) Push(ctx context.Context, s, dest string) error {
	img, err := e.LookupImage(ctx, s)
	if err != nil {
		return err
	}
	if dest == "" {
		if dest = pushName(img, s); dest == "" {
			return fmt.Errorf("push %s: the image has no name to push to: give a destination: %w", s, errdefs.ErrInvalidArgument)
		}
	}
	r, err := ParseImageRef(dest)
	if err != nil {
		return err
	}
	switch r.Transport {
	case TransportLayout:
		err = e.pushLayout(ctx, img, r)
	case TransportDockerArchive:
		path, name, _ := strings.Cut(r.Ref, ":")
		err = e.saveArchive(ctx, path, []*Image{img}, []string{name}, dockerarchive.Legacy)
	default:
		var ref registry.Reference
		if ref, err = registry.ParseReference(r.Ref); err == nil {
			err = e.registryClient().Push(ctx, ref, e.content, img.Manifest, registry.PushOptions{})
		}
	}
	if err != nil {
		return fmt.Errorf("push %s to %s: %w", s, dest, err)
	}
	return nil
}

// pushName is where an image goes by default: the name the user gave when
// the image has it, else its first name.
func pushName(img *Image, s string) string {
	if full, err := NormalizeName(s); err == nil {
		for _, n := range img.Names {
			if n == full {
				return n
			}
		}
	}
	if len(img.Names) > 0 {
		return img.Names[0]
	}
	return ""
}

// pushLayout copies the image into an OCI layout (created when missing)
// under the layout reference's name, or the image's name.
func (e *Engine) pushLayout(ctx context.Context, img *Image, r ImageRef) error {
	lr, err := layout.ParseReference(r.String())
	if err != nil {
		return err
	}
	l, err := layout.Create(lr.Path)
	if err != nil {
		return err
	}
	m, err := e.readManifest(ctx, img)
	if err != nil {
		return err
	}
	for _, d := range append(append([]ocispec.Descriptor{m.Config}, m.Layers...), img.Manifest) {
		if err := copyBlobTo(ctx, e.content, l.Store(), d); err != nil {
			return err
		}
	}
	name := lr.Name
	if name == "" && len(img.Names) > 0 {
		name = img.Names[0]
	}
	desc := img.Manifest
	if name == "" {
		return l.Add(ctx, desc)
	}
	return l.Tag(ctx, desc, name)
}

func (e *Engine) readManifest(ctx context.Context, img *Image) (*ocispec.Manifest, error) {
	children, err := content.Children(ctx, e.content, img.Manifest)
	if err != nil {
		return nil, err
	}
	m := &ocispec.Manifest{}
	for _, c := range children {
		if c.Digest == img.Config.Digest {
			m.Config = c
		} else {
			m.Layers = append(m.Layers, c)
		}
	}
	return m, nil
}

func copyBlobTo(ctx context.Context, from content.Provider, to content.Store, d ocispec.Descriptor) error {
	if _, err := to.Info(ctx, d.Digest); err == nil {
		return nil
	}
	ra, err := from.ReaderAt(ctx, d)
	if err != nil {
		return err
	}
	defer ra.Close()
	return content.WriteBlob(ctx, to, d, content.NewReader(ra))
}

// Save writes images as a docker archive at path (atomically): each under
// the names given (one per image, "" for the image's own tagged names).
func (e *Engine) Save(ctx context.Context, path string, names []string, f dockerarchive.Format) error {
	var imgs []*Image
	for _, n := range names {
		img, err := e.LookupImage(ctx, n)
		if err != nil {
			return err
		}
		imgs = append(imgs, img)
	}
	tags := make([]string, len(names))
	for i, n := range names {
		if full, err := NormalizeName(n); err == nil && slices.Contains(imgs[i].Names, full) {
			tags[i] = full
		}
	}
	return e.saveArchive(ctx, path, imgs, tags, f)
}

func (e *Engine) saveArchive(ctx context.Context, path string, imgs []*Image, tags []string, f dockerarchive.Format) error {
	var entries []dockerarchive.Image
	for i, img := range imgs {
		var repoTags []string
		if i < len(tags) && tags[i] != "" {
			full, err := NormalizeName(tags[i])
			if err != nil {
				return err
			}
			repoTags = []string{familiar(full)}
		} else {
			for _, n := range img.Names {
				if named, err := reference.ParseNormalizedNamed(n); err == nil {
					if _, ok := named.(reference.Tagged); ok {
						repoTags = append(repoTags, familiar(n))
					}
				}
			}
		}
		entries = append(entries, dockerarchive.Image{Manifest: img.Manifest, RepoTags: repoTags})
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := dockerarchive.Write(ctx, tmp, e.content, entries, f); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// familiar shortens docker.io names as docker writes them in archives.
func familiar(name string) string {
	if named, err := reference.ParseNormalizedNamed(name); err == nil {
		return reference.FamiliarString(named)
	}
	return name
}

// Load reads every image of the docker archive at path into the store
// (as Pull from docker-archive: does).
func (e *Engine) Load(ctx context.Context, path string) ([]*Image, error) {
	return e.Pull(ctx, TransportDockerArchive+":"+path, PullOptions{})
}
