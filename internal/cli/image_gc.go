package cli

import (
	"fmt"

	"github.com/spf13/cobra"
)

func newImageGCCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "gc oci:PATH",
		Short: "Delete the blobs of a layout that no image refers to",
		Long: `Delete the blobs of a layout that nothing in index.json reaches (manifests,
configs and layers of removed images; artifacts whose subject is kept stay),
and the leftovers of interrupted writes.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			l, _, err := openLayout(args[0])
			if err != nil {
				return err
			}
			removed, err := l.GC(cmd.Context())
			if err != nil {
				return err
			}
			for _, d := range removed {
				fmt.Fprintf(cmd.OutOrStdout(), "deleted: %s\n", d)
			}
			return nil
		},
	}
}
