package cli

import (
	"context"
	"strings"

	"github.com/berth-oci/berth/image"
	"github.com/berth-oci/berth/layout"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/spf13/cobra"
)

// lsEntry is one line of `berth image ls`, and its JSON form.
type lsEntry struct {
	Name      string             `json:"name"`
	Digest    string             `json:"digest"`
	MediaType string             `json:"mediaType"`
	Platforms []string           `json:"platforms"`
	Size      int64              `json:"size"`
	Desc      ocispec.Descriptor `json:"descriptor"`
}

func newImageLsCommand() *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:     "ls oci:PATH",
		Aliases: []string{"list"},
		Short:   "List the images of an OCI layout",
		Long:    "List the entries of a layout's index.json: name, digest, media type, platforms and the size of the layers.",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkFormat(format, formatTable, formatJSON); err != nil {
				return err
			}
			l, _, err := openLayout(args[0])
			if err != nil {
				return err
			}
			entries, err := listImages(cmd.Context(), l)
			if err != nil {
				return err
			}
			if format == formatJSON {
				return printJSON(cmd.OutOrStdout(), entries)
			}
			t := newTable(cmd.OutOrStdout(), "NAME", "DIGEST", "TYPE", "PLATFORM", "SIZE")
			for _, e := range entries {
				name := e.Name
				if name == "" {
					name = "<none>"
				}
				t.row(name, shortDigest(e.Desc.Digest), kindOf(e.MediaType), strings.Join(e.Platforms, ","), humanSize(e.Size))
			}
			return t.flush()
		},
	}
	addFormatFlag(cmd, &format, formatTable)
	return cmd
}

func listImages(ctx context.Context, l *layout.Layout) ([]lsEntry, error) {
	imgs, err := l.Images(ctx)
	if err != nil {
		return nil, err
	}
	entries := make([]lsEntry, 0, len(imgs))
	for _, img := range imgs {
		e := lsEntry{Name: img.Name, Digest: img.Descriptor.Digest.String(), MediaType: img.Descriptor.MediaType, Desc: img.Descriptor, Platforms: []string{}}
		e.Platforms, e.Size = summarise(ctx, l, img.Descriptor)
		entries = append(entries, e)
	}
	return entries, nil
}

// summarise gives the platforms and total layer size of an entry, as far
// as the layout holds them; a listing shows what it can.
func summarise(ctx context.Context, l *layout.Layout, d ocispec.Descriptor) ([]string, int64) {
	manifests := []ocispec.Descriptor{d}
	if image.IsIndex(d.MediaType) {
		idx, err := l.ReadIndex(ctx, d)
		if err != nil {
			return []string{}, 0
		}
		manifests = idx.Manifests
	}
	platforms := []string{}
	var size int64
	for _, md := range manifests {
		m, err := l.ReadManifest(ctx, md)
		if err != nil {
			continue
		}
		if md.Platform != nil {
			platforms = append(platforms, image.FormatPlatform(*md.Platform))
		} else if c, err := l.ReadConfig(ctx, m.Config); err == nil {
			platforms = append(platforms, image.FormatPlatform(c.Platform))
		}
		for _, layer := range m.Layers {
			size += layer.Size
		}
	}
	return platforms, size
}

func kindOf(mt string) string {
	switch {
	case image.IsIndex(mt):
		return "index"
	case image.IsManifest(mt):
		return "manifest"
	}
	return mt
}
