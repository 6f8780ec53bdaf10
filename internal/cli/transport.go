package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/berth-oci/berth/content"
	"github.com/berth-oci/berth/content/local"
	"github.com/berth-oci/berth/engine"
	"github.com/berth-oci/berth/errdefs"
	"github.com/berth-oci/berth/image"
	"github.com/berth-oci/berth/layout"
	"github.com/berth-oci/berth/layout/dockerarchive"
	"github.com/berth-oci/berth/registry"
	"github.com/distribution/reference"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// Transports of `berth copy`, as skopeo names them.
const (
	transportDocker        = "docker"
	transportOCI           = layout.Transport
	transportDockerArchive = "docker-archive"
	// transportEngine is berth's own image store (the engine's), as
	// containers-storage is podman's.
	transportEngine = "berth-storage"
)

// imageEnd is one end of a copy opened from a transport reference.
type imageEnd struct {
	loc registry.Location
	// finish completes the end after the copy (writes a docker archive)
	// when ok, and releases what it holds either way.
	finish func(ok bool) error
}

func noFinish(bool) error { return nil }

// splitTransport splits "TRANSPORT:REST"; docker's REST starts with "//".
func splitTransport(s string) (string, string, error) {
	t, rest, ok := strings.Cut(s, ":")
	if !ok {
		return "", "", fmt.Errorf("image %q: name a transport: docker://REF, oci:PATH[:NAME], docker-archive:PATH[:REF], berth-storage:NAME: %w", s, errdefs.ErrInvalidArgument)
	}
	if t == transportDocker {
		r, ok := strings.CutPrefix(rest, "//")
		if !ok {
			return "", "", fmt.Errorf("image %q: docker references are written docker://REF: %w", s, errdefs.ErrInvalidArgument)
		}
		rest = r
	}
	return t, rest, nil
}

// endOpeners make what the ends of a copy need: client the registry
// client for a reference's registry, store the engine's image store.
type endOpeners struct {
	client func(registry.Reference) (*registry.Client, error)
	store  func() (*engine.StoreEnd, error)
}

// openEnd opens the image s names, as a copy's source or destination.
func openEnd(ctx context.Context, s string, dest bool, o endOpeners) (imageEnd, error) {
	t, rest, err := splitTransport(s)
	if err != nil {
		return imageEnd{}, err
	}
	switch t {
	case transportDocker:
		ref, err := registry.ParseReference(rest)
		if err != nil {
			return imageEnd{}, err
		}
		c, err := o.client(ref)
		if err != nil {
			return imageEnd{}, err
		}
		return imageEnd{loc: registry.Remote(c, ref), finish: noFinish}, nil
	case transportOCI:
		return openLayoutEnd(s, dest)
	case transportDockerArchive:
		if dest {
			return createArchiveEnd(ctx, rest)
		}
		return openArchiveEnd(ctx, rest)
	case transportEngine:
		if !dest && rest == "" {
			return imageEnd{}, fmt.Errorf("image %q: name an image of the store (%s:NAME): %w", s, transportEngine, errdefs.ErrInvalidArgument)
		}
		st, err := o.store()
		if err != nil {
			return imageEnd{}, err
		}
		return imageEnd{loc: registry.Local(st, rest), finish: func(bool) error { return st.Close() }}, nil
	}
	return imageEnd{}, fmt.Errorf("image %q: unknown transport %q: name one of docker://REF, oci:PATH[:NAME], docker-archive:PATH[:REF], %s:NAME: %w", s, t, transportEngine, errdefs.ErrInvalidArgument)
}

// layoutStore is an OCI layout as a registry.ImageStore.
type layoutStore struct {
	content.Store
	l *layout.Layout
}

func (s layoutStore) Resolve(ctx context.Context, name string) (ocispec.Descriptor, error) {
	return s.l.Resolve(ctx, name)
}

func (s layoutStore) Tag(ctx context.Context, desc ocispec.Descriptor, name string) error {
	if name == "" {
		return s.l.Add(ctx, desc)
	}
	return s.l.Tag(ctx, desc, name)
}

func openLayoutEnd(s string, dest bool) (imageEnd, error) {
	r, err := layout.ParseReference(s)
	if err != nil {
		return imageEnd{}, err
	}
	var l *layout.Layout
	if dest {
		l, err = layout.Create(r.Path)
	} else {
		l, err = layout.Open(r.Path)
	}
	if err != nil {
		return imageEnd{}, err
	}
	return imageEnd{loc: registry.Local(layoutStore{Store: l.Store(), l: l}, r.Name), finish: noFinish}, nil
}

// archiveStore holds the images of a docker archive in a temporary store:
// those read from one, or those to write into one when the copy is done.
type archiveStore struct {
	content.Store
	dir    string
	images []dockerarchive.Image
}

func newArchiveStore() (*archiveStore, error) {
	dir, err := os.MkdirTemp("", "berth-archive-")
	if err != nil {
		return nil, fmt.Errorf("docker archive: temporary store: %w", err)
	}
	s, err := local.New(dir + "/blobs")
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	return &archiveStore{Store: s, dir: dir}, nil
}

func (s *archiveStore) remove() error { return os.RemoveAll(s.dir) }

// Resolve finds an image of the archive: the only one for "", the Nth for
// "@N", else the one whose RepoTags hold the reference name.
func (s *archiveStore) Resolve(_ context.Context, name string) (ocispec.Descriptor, error) {
	switch {
	case name == "" && len(s.images) == 1:
		return s.images[0].Manifest, nil
	case name == "":
		return ocispec.Descriptor{}, fmt.Errorf("docker archive holds %d images: name one (docker-archive:PATH:REF or :@N): %w", len(s.images), errdefs.ErrInvalidArgument)
	case strings.HasPrefix(name, "@"):
		var n int
		if _, err := fmt.Sscanf(name, "@%d", &n); err != nil || n < 0 || n >= len(s.images) {
			return ocispec.Descriptor{}, fmt.Errorf("docker archive: no image %s (it holds %d): %w", name, len(s.images), errdefs.ErrNotFound)
		}
		return s.images[n].Manifest, nil
	}
	want, err := archiveTag(name)
	if err != nil {
		return ocispec.Descriptor{}, err
	}
	for _, img := range s.images {
		for _, t := range img.RepoTags {
			if got, err := archiveTag(t); err == nil && got == want {
				return img.Manifest, nil
			}
		}
	}
	return ocispec.Descriptor{}, fmt.Errorf("docker archive: no image tagged %s: %w", want, errdefs.ErrNotFound)
}

// Tag records the image to write; an archive holds single-platform images.
func (s *archiveStore) Tag(_ context.Context, desc ocispec.Descriptor, name string) error {
	if !image.IsManifest(desc.MediaType) {
		return fmt.Errorf("docker archive: holds one platform's image, not %s: copy without --all: %w", desc.MediaType, errdefs.ErrInvalidArgument)
	}
	img := dockerarchive.Image{Manifest: desc}
	if name != "" {
		t, err := archiveTag(name)
		if err != nil {
			return err
		}
		img.RepoTags = []string{t}
	}
	s.images = append(s.images, img)
	return nil
}

// archiveTag is the familiar name:tag form docker archives use.
func archiveTag(name string) (string, error) {
	named, err := reference.ParseNormalizedNamed(name)
	if err != nil {
		return "", fmt.Errorf("docker archive name %q: %v: %w", name, err, errdefs.ErrInvalidArgument)
	}
	if _, ok := named.(reference.Digested); ok {
		return "", fmt.Errorf("docker archive name %q: archives name images by tag, not digest: %w", name, errdefs.ErrInvalidArgument)
	}
	return reference.FamiliarString(reference.TagNameOnly(named)), nil
}

func openArchiveEnd(ctx context.Context, rest string) (imageEnd, error) {
	path, name, _ := strings.Cut(rest, ":")
	s, err := newArchiveStore()
	if err != nil {
		return imageEnd{}, err
	}
	if s.images, err = dockerarchive.Read(ctx, path, s); err != nil {
		return imageEnd{}, errors.Join(err, s.remove())
	}
	return imageEnd{loc: registry.Local(s, name), finish: func(bool) error { return s.remove() }}, nil
}

func createArchiveEnd(ctx context.Context, rest string) (imageEnd, error) {
	path, name, _ := strings.Cut(rest, ":")
	if path == "" {
		return imageEnd{}, fmt.Errorf("docker-archive: empty path: %w", errdefs.ErrInvalidArgument)
	}
	s, err := newArchiveStore()
	if err != nil {
		return imageEnd{}, err
	}
	finish := func(ok bool) error {
		if !ok {
			return s.remove()
		}
		err := writeOut(path, func(w io.Writer) error {
			return dockerarchive.Write(ctx, w, s, s.images, dockerarchive.Legacy)
		})
		return errors.Join(err, s.remove())
	}
	return imageEnd{loc: registry.Local(s, name), finish: finish}, nil
}
