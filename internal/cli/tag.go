package cli

import (
	"github.com/spf13/cobra"
)

func newTagCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "tag IMAGE NAME...",
		Short: "Give an image of the store more names",
		Args:  cobra.MinimumNArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			e, err := openEngine(cmd)
			if err != nil {
				return err
			}
			for _, n := range args[1:] {
				if _, err := e.Tag(cmd.Context(), args[0], n); err != nil {
					return err
				}
			}
			return nil
		},
	}
}
