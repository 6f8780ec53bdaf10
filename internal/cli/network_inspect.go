package cli

import (
	"errors"

	"github.com/berth-oci/berth/engine/network"
	"github.com/spf13/cobra"
)

// networkView is a network as inspect prints it: its description and the
// containers attached to it.
type networkView struct {
	*network.Network
	Containers map[string]network.Attached `json:"containers"`
}

func newNetworkInspectCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "inspect NAME...",
		Short: "Show networks as JSON, with the containers attached",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			m, err := openNetworks(cmd)
			if err != nil {
				return err
			}
			atts, err := m.Attachments(cmd.Context())
			if err != nil {
				return err
			}
			views := []networkView{}
			var errs []error
			for _, name := range args {
				n, err := m.Inspect(cmd.Context(), name)
				if err != nil {
					errs = append(errs, err)
					continue
				}
				v := networkView{Network: n, Containers: map[string]network.Attached{}}
				for _, a := range atts {
					for _, net := range a.Networks {
						if net.Network == n.Name {
							net.Config = nil
							v.Containers[a.ContainerID] = net
						}
					}
				}
				views = append(views, v)
			}
			if err := printJSON(cmd.OutOrStdout(), views); err != nil {
				return err
			}
			return errors.Join(errs...)
		},
	}
}
