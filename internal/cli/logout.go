package cli

import (
	"fmt"

	"github.com/berth-oci/berth/errdefs"
	"github.com/berth-oci/berth/registry"
	"github.com/berth-oci/berth/registry/auth"
	"github.com/spf13/cobra"
)

func newLogoutCommand() *cobra.Command {
	var (
		authfile string
		all      bool
	)
	cmd := &cobra.Command{
		Use:   "logout [flags] REGISTRY",
		Short: "Forget the credentials of a registry",
		Long:  `Remove the credentials kept for REGISTRY (or, with --all, for every registry) from the auth file.`,
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			path := authfile
			if path == "" {
				path = auth.DefaultAuthFile()
			}
			if all {
				if len(args) != 0 {
					return fmt.Errorf("logout: --all takes no registry: %w", errdefs.ErrInvalidArgument)
				}
				if err := auth.RemoveAll(path); err != nil {
					return err
				}
				_, err := fmt.Fprintln(cmd.OutOrStdout(), "Removed login credentials for all registries")
				return err
			}
			if len(args) != 1 {
				return fmt.Errorf("logout: name a registry, or give --all: %w", errdefs.ErrInvalidArgument)
			}
			host := registryHost(args[0])
			if err := registry.Logout(host, path); err != nil {
				return err
			}
			_, err := fmt.Fprintln(cmd.OutOrStdout(), "Removed login credentials for", host)
			return err
		},
	}
	cmd.Flags().StringVar(&authfile, "authfile", "", "the auth `FILE` (default: $REGISTRY_AUTH_FILE, else $XDG_RUNTIME_DIR/containers/auth.json)")
	cmd.Flags().BoolVarP(&all, "all", "a", false, "remove the credentials of every registry")
	return cmd
}
