package cli

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/berth-oci/berth/errdefs"
	"github.com/berth-oci/berth/layout"
	"github.com/berth-oci/berth/layout/dockerarchive"
	"github.com/distribution/reference"
	"github.com/spf13/cobra"
	"golang.org/x/term"
)

func newSaveCommand() *cobra.Command {
	var output, format, platform string
	cmd := &cobra.Command{
		Use:   "save [-o FILE] IMAGE... | oci:PATH[:NAME]...",
		Short: "Write images to a docker-save archive",
		Long: `Write images of berth's store (IMAGE: a name or ID) or of a layout
(oci:PATH[:NAME]) to an archive that docker load, podman load and skopeo read.
An image of a layout is named in the archive by its name in the layout when
that is a full reference (example.com/app:v1), or localhost/DIR:NAME otherwise.
Formats: docker-archive (the classic layout, plain-tar layers) and
docker-oci-archive (the layout of Docker 25+: an OCI layout inside, blobs
unchanged).`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			f, err := archiveFormat(format)
			if err != nil {
				return err
			}
			p, err := platformFlag(platform)
			if err != nil {
				return err
			}
			if layouts := countPrefixed(args, layout.Transport+":"); layouts == 0 {
				return saveEngineImages(cmd, args, output, f)
			} else if layouts != len(args) {
				return fmt.Errorf("save: give images of the store or of a layout, not both: %w", errdefs.ErrInvalidArgument)
			}
			var images []dockerarchive.Image
			var store *layout.Layout
			for _, a := range args {
				l, r, err := openLayout(a)
				if err != nil {
					return err
				}
				if store != nil && store.Path() != l.Path() {
					return fmt.Errorf("save: images must come from one layout (%s and %s): %w", store.Path(), l.Path(), errdefs.ErrInvalidArgument)
				}
				store = l
				res, err := l.ResolveImage(cmd.Context(), r.Name, p)
				if err != nil {
					return err
				}
				images = append(images, dockerarchive.Image{Manifest: res.Descriptor, RepoTags: []string{repoTag(r)}})
			}
			return writeOut(output, func(w io.Writer) error {
				return dockerarchive.Write(cmd.Context(), w, store.Store(), images, f)
			})
		},
	}
	cmd.Flags().StringVarP(&output, "output", "o", "", "write to FILE instead of standard output")
	cmd.Flags().StringVar(&format, "format", "docker-archive", "archive format: docker-archive or docker-oci-archive")
	cmd.Flags().StringVar(&platform, "platform", "", "platform to choose from an index (default: this host's)")
	return cmd
}

func countPrefixed(args []string, prefix string) int {
	n := 0
	for _, a := range args {
		if strings.HasPrefix(a, prefix) {
			n++
		}
	}
	return n
}

func archiveFormat(s string) (dockerarchive.Format, error) {
	switch s {
	case "docker-archive":
		return dockerarchive.Legacy, nil
	case "docker-oci-archive":
		return dockerarchive.OCI, nil
	}
	return 0, fmt.Errorf("--format %q: want docker-archive or docker-oci-archive: %w", s, errdefs.ErrInvalidArgument)
}

var notRepoChars = regexp.MustCompile(`[^a-z0-9._-]+`)

// repoTag names an image in an archive: its layout name when that is a
// reference with a tag, else localhost/<layout dir>:<name or latest>.
func repoTag(r layout.Reference) string {
	if named, err := reference.ParseNormalizedNamed(r.Name); err == nil && strings.ContainsAny(r.Name, "/:") {
		if _, ok := named.(reference.Tagged); ok {
			return r.Name
		}
	}
	repo := strings.Trim(notRepoChars.ReplaceAllString(strings.ToLower(filepath.Base(r.Path)), "-"), "-._")
	if repo == "" {
		repo = "image"
	}
	tag := r.Name
	if !validTag(tag) {
		tag = "latest"
	}
	return "localhost/" + repo + ":" + tag
}

// tagRE is the tag grammar of the distribution spec.
var tagRE = regexp.MustCompile(`^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}$`)

func validTag(t string) bool { return tagRE.MatchString(t) }

// writeOut runs write on FILE, or on standard output when FILE is empty or
// "-" and standard output is not a terminal. A file is written beside its
// final name and renamed, so a failure leaves no half archive.
func writeOut(file string, write func(io.Writer) error) error {
	if file == "" || file == "-" {
		if term.IsTerminal(int(os.Stdout.Fd())) {
			return fmt.Errorf("refusing to write an archive to a terminal: use -o FILE or redirect: %w", errdefs.ErrInvalidArgument)
		}
		return write(os.Stdout)
	}
	tmp, err := os.CreateTemp(filepath.Dir(file), "."+filepath.Base(file)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := write(tmp); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), file)
}
