package image

import (
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// CheckConfigMatches checks that a manifest and the config it references
// describe the same image: the manifest's config is an image config, the
// config is valid (rootfs.type "layers", its platform named), and
// rootfs.diff_ids has one entry per layer of the manifest, since layer i
// uncompresses to diff_ids[i]. The error wraps errdefs.ErrInvalidArgument.
func CheckConfigMatches(m *ocispec.Manifest, c *ocispec.Image) error {
	p := &problems{doc: "image"}
	if !IsConfig(m.Config.MediaType) {
		p.addValue("manifest.config.mediaType", m.Config.MediaType, "not an image config: the manifest is an artifact, not a runnable image")
	}
	sub := &problems{}
	checkConfig(sub, c)
	for _, q := range sub.list {
		q.Field = join("config", q.Field)
		p.list = append(p.list, q)
	}
	if len(c.RootFS.DiffIDs) != len(m.Layers) {
		p.add("config.rootfs.diff_ids", "%d entries, but the manifest has %d layers", len(c.RootFS.DiffIDs), len(m.Layers))
	}
	return p.err()
}

// CheckConfigPlatform checks that a config is built for the platform an
// index entry claims for it (os and architecture equal after Normalize, and
// the variant when both name one). Registries hold images whose entries lie;
// the caller decides whether that is an error or a warning.
func CheckConfigPlatform(want ocispec.Platform, c *ocispec.Image) error {
	p := &problems{doc: "image"}
	w, got := Normalize(want), Normalize(c.Platform)
	if w.OS != got.OS || w.Architecture != got.Architecture ||
		(want.Variant != "" && c.Variant != "" && w.Variant != got.Variant) {
		p.addValue("config", FormatPlatform(got), "built for another platform than the index entry's %s", FormatPlatform(w))
	}
	return p.err()
}
