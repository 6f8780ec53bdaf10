package cli

import (
	"fmt"
	"runtime"
	"time"

	"github.com/berth-oci/berth/bundle"
	"github.com/berth-oci/berth/image"
	"github.com/berth-oci/berth/layout"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/spf13/cobra"
)

func newImageNewCommand() *cobra.Command {
	var platform string
	cmd := &cobra.Command{
		Use:   "new oci:PATH:NAME",
		Short: "Create an empty image (no layers) in a layout",
		Long: `Create an image with no layers and an empty config in a layout (made when
needed), to be filled with berth image unpack, edits, berth image repack and
berth image config.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			r, err := layout.ParseReference(args[0])
			if err != nil {
				return err
			}
			if err := requireName(r); err != nil {
				return err
			}
			// The host's CPU level says what it can run, not what a build
			// made here needs: label with GOOS/GOARCH alone.
			p := image.Normalize(ocispec.Platform{OS: runtime.GOOS, Architecture: runtime.GOARCH})
			if platform != "" {
				if p, err = image.ParsePlatform(platform); err != nil {
					return fmt.Errorf("--platform: %w", err)
				}
			}
			l, err := layout.Create(r.Path)
			if err != nil {
				return err
			}
			img, err := bundle.NewImage(cmd.Context(), l.Store(), p, time.Time{})
			if err != nil {
				return err
			}
			return l.Tag(cmd.Context(), img.Descriptor, r.Name)
		},
	}
	cmd.Flags().StringVar(&platform, "platform", "", "platform of the image, os/arch[/variant] (default: this host's)")
	return cmd
}
