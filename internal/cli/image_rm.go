package cli

import (
	"fmt"

	"github.com/spf13/cobra"
)

func newImageRmCommand() *cobra.Command {
	var keep bool
	cmd := &cobra.Command{
		Use:     "rm oci:PATH:NAME...",
		Aliases: []string{"remove"},
		Short:   "Remove images from a layout",
		Long: `Remove the named images from a layout's index.json, then delete the blobs that
nothing left in the layout refers to (unless --keep-blobs).`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			for _, a := range args {
				l, r, err := openLayout(a)
				if err != nil {
					return err
				}
				if err := requireName(r); err != nil {
					return err
				}
				if err := l.Untag(cmd.Context(), r.Name); err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "untagged: %s\n", r)
				if keep {
					continue
				}
				removed, err := l.GC(cmd.Context())
				if err != nil {
					return err
				}
				for _, d := range removed {
					fmt.Fprintf(cmd.OutOrStdout(), "deleted: %s\n", d)
				}
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&keep, "keep-blobs", false, "only remove the names; leave the blobs for a later gc")
	return cmd
}
