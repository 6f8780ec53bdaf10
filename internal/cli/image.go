package cli

import (
	"fmt"

	"github.com/berth-oci/berth/errdefs"
	"github.com/berth-oci/berth/layout"
	"github.com/spf13/cobra"
)

func newImageCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "image",
		Short: "Manage images in OCI image layouts",
		Long: `Manage images in OCI image layouts.

An image is named oci:PATH[:NAME]: the layout directory PATH and, in it, the
image whose org.opencontainers.image.ref.name is NAME. NAME may be left out
when the layout holds a single image.`,
	}
	cmd.AddCommand(newImageLsCommand(), newImageInspectCommand(), newImageTagCommand(), newImageRmCommand(),
		newImageGCCommand(), newImageValidateCommand(), newImageInitCommand(),
		newImageUnpackCommand(), newImageRepackCommand(), newImageNewCommand(), newImageConfigCommand())
	return cmd
}

// openLayout parses an oci: reference and opens its layout.
func openLayout(ref string) (*layout.Layout, layout.Reference, error) {
	r, err := layout.ParseReference(ref)
	if err != nil {
		return nil, r, err
	}
	l, err := layout.Open(r.Path)
	return l, r, err
}

// requireName refuses a reference without an image name where one is needed.
func requireName(r layout.Reference) error {
	if r.Name == "" {
		return fmt.Errorf("%s: name an image (oci:PATH:NAME): %w", r, errdefs.ErrInvalidArgument)
	}
	return nil
}
