package cli

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"
)

func newRmiCommand() *cobra.Command {
	var force, all bool
	cmd := &cobra.Command{
		Use:   "rmi [flags] IMAGE...",
		Short: "Remove images from the store",
		Long: `Remove images: a name is taken off its image, and the image is deleted with
its last name. An image in use by a container is kept unless --force, which
removes those containers. Blobs and unpacked layers no image needs are freed.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			e, err := openEngine(cmd)
			if err != nil {
				return err
			}
			if all {
				imgs, err := e.Images(cmd.Context())
				if err != nil {
					return err
				}
				for _, img := range imgs {
					args = append(args, img.ID.String())
				}
			}
			if len(args) == 0 {
				return usageError(cmd, "give at least one image, or --all")
			}
			var errs []error
			for _, a := range args {
				res, err := e.RemoveImage(cmd.Context(), a, force || all)
				if err != nil {
					errs = append(errs, err)
					continue
				}
				for _, n := range res.Untagged {
					fmt.Fprintf(cmd.OutOrStdout(), "Untagged: %s\n", n)
				}
				for _, d := range res.Deleted {
					fmt.Fprintf(cmd.OutOrStdout(), "Deleted: %s\n", d.Encoded())
				}
			}
			return errors.Join(errs...)
		},
	}
	cmd.Flags().BoolVarP(&force, "force", "f", false, "remove images in use, with their containers")
	cmd.Flags().BoolVarP(&all, "all", "a", false, "remove every image")
	return cmd
}
