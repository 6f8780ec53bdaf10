package cli

import (
	"errors"
	"fmt"

	"github.com/berth-oci/berth/errdefs"

	"github.com/spf13/cobra"
)

func newNetworkPruneCommand() *cobra.Command {
	var force bool
	cmd := &cobra.Command{
		Use:   "prune [-f]",
		Short: "Remove the networks no container is attached to",
		Long:  "Remove every network no container is attached to, except the default one, and print their names.",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			m, err := openNetworks(cmd)
			if err != nil {
				return err
			}
			removed, err := m.Prune(cmd.Context())
			for _, name := range removed {
				fmt.Fprintln(cmd.OutOrStdout(), name)
			}
			return err
		},
	}
	cmd.Flags().BoolVarP(&force, "force", "f", false, "do not ask (berth never asks; accepted for podman's scripts)")
	return cmd
}

func newNetworkExistsCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "exists NAME",
		Short: "Exit 0 when the network exists, 1 when it does not",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			m, err := openNetworks(cmd)
			if err != nil {
				return err
			}
			if _, err := m.Inspect(cmd.Context(), args[0]); err != nil {
				if errors.Is(err, errdefs.ErrNotFound) {
					return &exitError{code: 1}
				}
				return err
			}
			return nil
		},
	}
}
