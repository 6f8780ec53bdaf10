package cli

import (
	"fmt"

	"github.com/spf13/cobra"
)

// newImagePruneCommand is `berth image prune`, added to the image verb.
func newImagePruneCommand() *cobra.Command {
	var all, force bool
	cmd := &cobra.Command{
		Use:   "prune [flags]",
		Short: "Remove the store's dangling images (all unused ones with --all)",
		Long: `Remove the images of the store that have no name and no container (with --all,
every image no container uses), then free the blobs and unpacked layers no
image needs. Prints the IDs removed.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			e, err := openEngine(cmd)
			if err != nil {
				return err
			}
			res, err := e.PruneImages(cmd.Context(), all)
			if err != nil {
				return err
			}
			for _, d := range res.Deleted {
				fmt.Fprintln(cmd.OutOrStdout(), d.Encoded())
			}
			return nil
		},
	}
	cmd.Flags().BoolVarP(&all, "all", "a", false, "remove every image no container uses")
	cmd.Flags().BoolVarP(&force, "force", "f", false, "do not ask (berth never asks)")
	return cmd
}
