package cli

import (
	"fmt"

	"github.com/berth-oci/berth/layout"
	"github.com/spf13/cobra"
)

func newImageInitCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "init oci:PATH",
		Short: "Create an empty OCI image layout",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			r, err := layout.ParseReference(args[0])
			if err != nil {
				return err
			}
			if _, err := layout.Create(r.Path); err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), r.Path)
			return nil
		},
	}
}
