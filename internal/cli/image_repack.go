package cli

import (
	"fmt"

	"github.com/berth-oci/berth/bundle"
	"github.com/spf13/cobra"
)

func newImageRepackCommand() *cobra.Command {
	var o bundle.RepackOptions
	cmd := &cobra.Command{
		Use:   "repack oci:PATH:NEWNAME BUNDLE",
		Short: "Record a bundle's root filesystem changes as a new image",
		Long: `Record the changes made to the root filesystem of BUNDLE (made by berth image
unpack from an image of the same layout) as a new layer on top of that image,
with the config's diff_ids and history extended, and name the result NEWNAME.
Unpacking NEWNAME gives the edited tree back exactly.`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			l, r, err := openLayout(args[0])
			if err != nil {
				return err
			}
			if err := requireName(r); err != nil {
				return err
			}
			img, err := bundle.Repack(cmd.Context(), l.Store(), args[1], o)
			if err != nil {
				return err
			}
			if err := l.Tag(cmd.Context(), img.Descriptor, r.Name); err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), img.Descriptor.Digest)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.Compression, "compression", "gzip", "compression of the new layer: gzip, zstd or none")
	f.StringVar(&o.CreatedBy, "history.created_by", "", "created_by of the new history entry (default \"berth image repack\")")
	f.StringVar(&o.Comment, "history.comment", "", "comment of the new history entry")
	return cmd
}
