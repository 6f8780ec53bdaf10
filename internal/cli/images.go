package cli

import (
	"fmt"
	"strings"
	"time"

	"github.com/berth-oci/berth/engine"
	"github.com/distribution/reference"
	"github.com/spf13/cobra"
)

// imageRow is one line of `berth images`: one per name of an image, or one
// for an image without names. Its fields are what --format templates use.
type imageRow struct {
	ID           string
	Repository   string
	Tag          string
	Digest       string
	Created      time.Time
	CreatedSince string
	CreatedAt    string
	Size         string
	VirtualSize  int64
	Names        []string
	Platform     string
	img          *engine.Image
}

// imageJSON is an image as `podman images --format json` shows it.
type imageJSON struct {
	ID          string   `json:"Id"`
	ParentID    string   `json:"ParentId"`
	RepoTags    []string `json:"RepoTags"`
	RepoDigests []string `json:"RepoDigests"`
	Size        int64    `json:"Size"`
	SharedSize  int64    `json:"SharedSize"`
	VirtualSize int64    `json:"VirtualSize"`
	Containers  int      `json:"Containers"`
	Names       []string `json:"Names,omitempty"`
	Digest      string   `json:"Digest"`
	Created     int64    `json:"Created"`
	CreatedAt   string   `json:"CreatedAt"`
	Platform    string   `json:"Platform"`
}

const imagesDefaultFormat = "table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}"

func newImagesCommand() *cobra.Command {
	var format string
	var quiet, noTrunc, all bool
	cmd := &cobra.Command{
		Use:     "images [flags] [NAME]",
		Aliases: []string{"image-list"},
		Short:   "List the images of the store",
		Long: `List the images of the store, one line per name. --format takes json, a Go
template over the fields ID, Repository, Tag, Digest, CreatedSince, CreatedAt,
Size, Names and Platform, or "table TEMPLATE" for aligned columns with a header.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			e, err := openEngine(cmd)
			if err != nil {
				return err
			}
			imgs, err := e.Images(cmd.Context())
			if err != nil {
				return err
			}
			if len(args) == 1 {
				imgs = filterImages(imgs, args[0])
			}
			if quiet {
				for _, img := range imgs {
					fmt.Fprintln(cmd.OutOrStdout(), idOf(img, noTrunc))
				}
				return nil
			}
			f, err := parseRowFormat(format, imagesDefaultFormat, map[string]string{"ID": "IMAGE ID"})
			if err != nil {
				return err
			}
			var rows []any
			var js []imageJSON
			for _, img := range imgs {
				for _, r := range imageRows(img, noTrunc) {
					rows = append(rows, r)
				}
				js = append(js, toImageJSON(img))
			}
			if js == nil {
				js = []imageJSON{}
			}
			return f.print(cmd.OutOrStdout(), rows, js)
		},
	}
	f := cmd.Flags()
	f.StringVar(&format, "format", "", "json, a Go template, or table TEMPLATE")
	f.BoolVarP(&quiet, "quiet", "q", false, "print image IDs only")
	f.BoolVar(&noTrunc, "no-trunc", false, "print full image IDs")
	f.BoolVarP(&all, "all", "a", false, "all images (berth keeps no intermediate images: the same as without)")
	return cmd
}

func idOf(img *engine.Image, full bool) string {
	if full {
		return img.ID.String()
	}
	return img.ID.Encoded()[:12]
}

// filterImages keeps the images with a name of the repository (or full
// name) s.
func filterImages(imgs []*engine.Image, s string) []*engine.Image {
	full, _ := engine.NormalizeName(s)
	var out []*engine.Image
	for _, img := range imgs {
		for _, n := range img.Names {
			repo, _ := splitName(n)
			if n == full || repo == strings.TrimSuffix(full, ":latest") || repo == s {
				out = append(out, img)
				break
			}
		}
	}
	return out
}

// splitName splits a stored name into repository and tag (or digest).
func splitName(n string) (string, string) {
	named, err := reference.ParseNormalizedNamed(n)
	if err != nil {
		return n, "<none>"
	}
	if t, ok := named.(reference.Tagged); ok {
		return named.Name(), t.Tag()
	}
	return named.Name(), "<none>"
}

func imageRows(img *engine.Image, noTrunc bool) []imageRow {
	base := imageRow{
		ID: idOf(img, noTrunc), Digest: img.Manifest.Digest.String(), Created: img.Created,
		CreatedSince: ago(img.Created), CreatedAt: img.Created.Format("2006-01-02 15:04:05 -0700 MST"),
		Size: humanSize(img.Size), VirtualSize: img.Size, Names: img.Names,
		Platform: img.Platform.OS + "/" + img.Platform.Architecture, img: img,
	}
	if len(img.Names) == 0 {
		base.Repository, base.Tag = "<none>", "<none>"
		return []imageRow{base}
	}
	var out []imageRow
	for _, n := range img.Names {
		r := base
		r.Repository, r.Tag = splitName(n)
		out = append(out, r)
	}
	return out
}

func toImageJSON(img *engine.Image) imageJSON {
	j := imageJSON{
		ID: img.ID.Encoded(), RepoTags: []string{}, RepoDigests: []string{}, Size: img.Size, VirtualSize: img.Size,
		Names: img.Names, Digest: img.Manifest.Digest.String(), Created: img.Created.Unix(),
		CreatedAt: img.Created.Format(time.RFC3339), Platform: img.Platform.OS + "/" + img.Platform.Architecture,
	}
	for _, n := range img.Names {
		repo, tag := splitName(n)
		if tag != "<none>" {
			j.RepoTags = append(j.RepoTags, n)
		}
		for _, d := range img.Digests() {
			j.RepoDigests = append(j.RepoDigests, repo+"@"+d.String())
		}
	}
	return j
}
