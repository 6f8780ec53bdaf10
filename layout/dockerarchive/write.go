package dockerarchive

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path"
	"time"

	"github.com/berth-oci/berth/content"
	"github.com/berth-oci/berth/errdefs"
	"github.com/berth-oci/berth/image"
	"github.com/distribution/reference"
	digest "github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// Format chooses the layout of a written archive.
type Format int

const (
	// Legacy is the classic docker save layout that every Docker, podman and
	// skopeo reads: plain-tar layers in one directory each.
	Legacy Format = iota
	// OCI is the layout of Docker 25+: an OCI image layout (blobs as they
	// are in the store, digests unchanged) with manifest.json and
	// repositories beside it.
	OCI
)

// writer writes one archive; it remembers what it wrote so layers shared
// by several images are written once.
type writer struct {
	ctx     context.Context
	tw      *tar.Writer
	store   content.Provider
	written map[string]bool
	entries []manifestEntry
	repos   repositories
	index   []ocispec.Descriptor
}

// Write writes images, each an image manifest in store, as a docker-save
// archive to w. Each image's RepoTags must be docker references with a tag
// (busybox:latest), as docker load expects.
func Write(ctx context.Context, w io.Writer, store content.Provider, images []Image, f Format) error {
	aw := &writer{ctx: ctx, tw: tar.NewWriter(w), store: store, written: map[string]bool{}, repos: repositories{}}
	for _, img := range images {
		var err error
		if f == OCI {
			err = aw.addOCI(img)
		} else {
			err = aw.addLegacy(img)
		}
		if err != nil {
			return fmt.Errorf("write docker archive: image %s: %w", img.Manifest.Digest, err)
		}
	}
	if err := aw.finish(f); err != nil {
		return fmt.Errorf("write docker archive: %w", err)
	}
	return nil
}

func (aw *writer) readManifest(img Image) (*ocispec.Manifest, *ocispec.Image, error) {
	if !image.IsManifest(img.Manifest.MediaType) {
		return nil, nil, fmt.Errorf("media type %q: a docker archive holds single-platform images, choose one: %w", img.Manifest.MediaType, errdefs.ErrInvalidArgument)
	}
	data, err := content.ReadBlobLimit(aw.ctx, aw.store, img.Manifest, content.MaxManifestSize)
	if err != nil {
		return nil, nil, err
	}
	m, err := image.ParseManifest(data)
	if err != nil {
		return nil, nil, err
	}
	cdata, err := content.ReadBlob(aw.ctx, aw.store, m.Config)
	if err != nil {
		return nil, nil, fmt.Errorf("config: %w", err)
	}
	cfg, err := image.ParseConfig(cdata)
	if err != nil {
		return nil, nil, fmt.Errorf("config %s: %w", m.Config.Digest, err)
	}
	if err := image.CheckConfigMatches(m, cfg); err != nil {
		return nil, nil, err
	}
	return m, cfg, nil
}

func (aw *writer) addLegacy(img Image) error {
	m, cfg, err := aw.readManifest(img)
	if err != nil {
		return err
	}
	cfgName := m.Config.Digest.Encoded() + ".json"
	if err := aw.copyBlob(cfgName, m.Config); err != nil {
		return err
	}
	entry := manifestEntry{Config: cfgName, RepoTags: img.RepoTags}
	parent := ""
	for i, l := range m.Layers {
		id := v1ID(parent, cfg.RootFS.DiffIDs[i])
		if err := aw.legacyLayer(id, parent, l, cfg.RootFS.DiffIDs[i]); err != nil {
			return fmt.Errorf("layer %s: %w", l.Digest, err)
		}
		entry.Layers = append(entry.Layers, id+"/layer.tar")
		parent = id
	}
	aw.entries = append(aw.entries, entry)
	return aw.addRepos(img.RepoTags, parent)
}

// v1ID names a layer directory the way legacy archives do: a chain of the
// layers below, so equal stacks share directories.
func v1ID(parent string, diffID digest.Digest) string {
	sum := sha256.Sum256([]byte(parent + " " + diffID.String()))
	return hex.EncodeToString(sum[:])
}

func (aw *writer) legacyLayer(id, parent string, l ocispec.Descriptor, diffID digest.Digest) error {
	if aw.written[id] {
		return nil
	}
	aw.written[id] = true
	v1 := map[string]any{"id": id, "created": time.Unix(0, 0).UTC()}
	if parent != "" {
		v1["parent"] = parent
	}
	js, _ := json.Marshal(v1)
	if err := aw.file(id+"/VERSION", []byte("1.0")); err != nil {
		return err
	}
	if err := aw.file(id+"/json", js); err != nil {
		return err
	}
	return aw.plainLayer(id+"/layer.tar", l, diffID)
}

// plainLayer writes layer l uncompressed, checking it against diffID. A
// tar header needs the size first, so a compressed layer is spooled to a
// temporary file once.
func (aw *writer) plainLayer(name string, l ocispec.Descriptor, diffID digest.Digest) error {
	ra, err := aw.store.ReaderAt(aw.ctx, l)
	if err != nil {
		return err
	}
	defer ra.Close()
	tr, err := decompress(content.NewReader(ra), l.MediaType)
	if err != nil {
		return err
	}
	defer tr.Close()
	tmp, err := os.CreateTemp("", "berth-save-*.tar")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	defer tmp.Close()
	d := digest.SHA256.Digester()
	n, err := io.Copy(io.MultiWriter(tmp, d.Hash()), tr)
	if err != nil {
		return fmt.Errorf("decompress: %w", err)
	}
	if d.Digest() != diffID {
		return fmt.Errorf("uncompressed content is %s, the config says %s: %w", d.Digest(), diffID, errdefs.ErrDigestMismatch)
	}
	if _, err := tmp.Seek(0, io.SeekStart); err != nil {
		return err
	}
	return aw.stream(name, n, tmp)
}

func (aw *writer) addRepos(tags []string, top string) error {
	for _, t := range tags {
		named, err := reference.ParseNormalizedNamed(t)
		if err != nil {
			return fmt.Errorf("repo tag %q: %v: %w", t, err, errdefs.ErrInvalidArgument)
		}
		tagged, ok := named.(reference.Tagged)
		if !ok {
			return fmt.Errorf("repo tag %q has no tag: %w", t, errdefs.ErrInvalidArgument)
		}
		repo := reference.FamiliarName(named)
		if aw.repos[repo] == nil {
			aw.repos[repo] = map[string]string{}
		}
		aw.repos[repo][tagged.Tag()] = top
	}
	return nil
}

func (aw *writer) addOCI(img Image) error {
	m, _, err := aw.readManifest(img)
	if err != nil {
		return err
	}
	entry := manifestEntry{Config: blobName(m.Config), RepoTags: img.RepoTags}
	for _, d := range append([]ocispec.Descriptor{img.Manifest, m.Config}, m.Layers...) {
		if err := aw.copyBlob(blobName(d), d); err != nil {
			return err
		}
	}
	for _, l := range m.Layers {
		entry.Layers = append(entry.Layers, blobName(l))
	}
	aw.entries = append(aw.entries, entry)
	desc := img.Manifest
	desc.Annotations = map[string]string{}
	if len(img.RepoTags) > 0 {
		desc.Annotations[annotationImageName] = img.RepoTags[0]
		if named, err := reference.ParseNormalizedNamed(img.RepoTags[0]); err == nil {
			if t, ok := named.(reference.Tagged); ok {
				desc.Annotations[ocispec.AnnotationRefName] = t.Tag()
			}
		}
	}
	aw.index = append(aw.index, desc)
	return aw.addRepos(img.RepoTags, m.Config.Digest.Encoded())
}

func blobName(d ocispec.Descriptor) string {
	return path.Join(ocispec.ImageBlobsDir, d.Digest.Algorithm().String(), d.Digest.Encoded())
}

func (aw *writer) finish(f Format) error {
	if f == OCI {
		idx := ocispec.Index{MediaType: ocispec.MediaTypeImageIndex, Manifests: aw.index}
		idx.SchemaVersion = 2
		js, _ := json.Marshal(idx)
		if err := aw.file(ocispec.ImageIndexFile, js); err != nil {
			return err
		}
		js, _ = json.Marshal(ocispec.ImageLayout{Version: ocispec.ImageLayoutVersion})
		if err := aw.file(ocispec.ImageLayoutFile, js); err != nil {
			return err
		}
	}
	js, _ := json.Marshal(aw.entries)
	if err := aw.file(manifestFile, js); err != nil {
		return err
	}
	if len(aw.repos) > 0 {
		js, _ = json.Marshal(aw.repos)
		if err := aw.file(repositoriesFile, js); err != nil {
			return err
		}
	}
	return aw.tw.Close()
}

// copyBlob writes the blob d verbatim as member name, verifying it.
func (aw *writer) copyBlob(name string, d ocispec.Descriptor) error {
	if aw.written[name] {
		return nil
	}
	aw.written[name] = true
	ra, err := aw.store.ReaderAt(aw.ctx, d)
	if err != nil {
		return err
	}
	defer ra.Close()
	v := d.Digest.Verifier()
	if err := aw.stream(name, ra.Size(), io.TeeReader(content.NewReader(ra), v)); err != nil {
		return err
	}
	if !v.Verified() || ra.Size() != d.Size {
		return fmt.Errorf("blob %s: stored content does not match its descriptor: %w", d.Digest, errdefs.ErrDigestMismatch)
	}
	return nil
}

func (aw *writer) file(name string, data []byte) error {
	return aw.stream(name, int64(len(data)), bytes.NewReader(data))
}

// epoch is the mtime of every member, so an archive of the same images is
// byte for byte the same.
var epoch = time.Unix(0, 0).UTC()

func (aw *writer) stream(name string, size int64, r io.Reader) error {
	dir := path.Dir(name)
	if dir != "." && !aw.written[dir+"/"] {
		aw.written[dir+"/"] = true
		if err := aw.dirs(dir); err != nil {
			return err
		}
	}
	h := &tar.Header{Name: name, Mode: 0o644, Size: size, ModTime: epoch, Typeflag: tar.TypeReg, Format: tar.FormatPAX}
	if err := aw.tw.WriteHeader(h); err != nil {
		return err
	}
	n, err := io.Copy(aw.tw, r)
	if err == nil && n != size {
		err = fmt.Errorf("member %s: wrote %d of %d bytes", name, n, size)
	}
	return err
}

func (aw *writer) dirs(dir string) error {
	if parent := path.Dir(dir); parent != "." && !aw.written[parent+"/"] {
		aw.written[parent+"/"] = true
		if err := aw.dirs(parent); err != nil {
			return err
		}
	}
	return aw.tw.WriteHeader(&tar.Header{Name: dir + "/", Mode: 0o755, ModTime: epoch, Typeflag: tar.TypeDir, Format: tar.FormatPAX})
}
