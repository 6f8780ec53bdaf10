package cli

import (
	"fmt"
	"os"

	"github.com/berth-oci/berth/errdefs"
	"github.com/berth-oci/berth/layout"
	"github.com/berth-oci/berth/layout/dockerarchive"
	"github.com/spf13/cobra"
	"golang.org/x/term"
)

func newLoadCommand() *cobra.Command {
	var input string
	cmd := &cobra.Command{
		Use:   "load [-i FILE] [oci:PATH[:NAME]]",
		Short: "Read images from a docker-save archive into the store or a layout",
		Long: `Read the images of a docker-save archive (the classic layout or Docker 25+'s)
into berth's store, or into a layout (created when needed) when one is given.
In a layout each image is named by its name in the archive, or NAME when the
archive holds a single image. Every blob is verified before anything is stored.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return loadEngineImages(cmd, input)
			}
			r, err := layout.ParseReference(args[0])
			if err != nil {
				return err
			}
			l, err := layout.Create(r.Path)
			if err != nil {
				return err
			}
			var images []dockerarchive.Image
			if input == "" || input == "-" {
				if term.IsTerminal(int(os.Stdin.Fd())) {
					return fmt.Errorf("no archive: give -i FILE or pipe one in: %w", errdefs.ErrInvalidArgument)
				}
				images, err = dockerarchive.ReadStream(cmd.Context(), os.Stdin, l.Store())
			} else {
				images, err = dockerarchive.Read(cmd.Context(), input, l.Store())
			}
			if err != nil {
				return err
			}
			if r.Name != "" && len(images) != 1 {
				return fmt.Errorf("the archive holds %d images: NAME works for one only: %w", len(images), errdefs.ErrInvalidArgument)
			}
			for _, img := range images {
				names := img.RepoTags
				if r.Name != "" {
					names = []string{r.Name}
				}
				if len(names) == 0 {
					if err := l.Add(cmd.Context(), img.Manifest); err != nil {
						return err
					}
					fmt.Fprintf(cmd.OutOrStdout(), "Loaded image: %s\n", img.Manifest.Digest)
				}
				for _, n := range names {
					if err := l.Tag(cmd.Context(), img.Manifest, n); err != nil {
						return err
					}
					fmt.Fprintf(cmd.OutOrStdout(), "Loaded image: %s\n", n)
				}
			}
			return nil
		},
	}
	cmd.Flags().StringVarP(&input, "input", "i", "", "read the archive from FILE instead of standard input")
	return cmd
}
