package cli

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"
)

func newNetworkRmCommand() *cobra.Command {
	var force bool
	cmd := &cobra.Command{
		Use:     "rm [-f] NAME...",
		Aliases: []string{"remove"},
		Short:   "Remove networks",
		Long: `Remove networks: their config, bridge and address allocations. A network
containers are attached to is refused unless -f, which detaches them first
(they keep running without it). The default network cannot be removed.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			m, err := openNetworks(cmd)
			if err != nil {
				return err
			}
			var errs []error
			for _, name := range args {
				if err := m.Remove(cmd.Context(), name, force); err != nil {
					errs = append(errs, err)
					continue
				}
				fmt.Fprintln(cmd.OutOrStdout(), name)
			}
			return errors.Join(errs...)
		},
	}
	cmd.Flags().BoolVarP(&force, "force", "f", false, "detach the containers using the network first")
	return cmd
}
