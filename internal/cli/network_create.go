package cli

import (
	"fmt"

	"github.com/berth-oci/berth/engine/network"
	"github.com/spf13/cobra"
)

func newNetworkCreateCommand() *cobra.Command {
	var o network.CreateOptions
	var subnets, gateways, labels []string
	cmd := &cobra.Command{
		Use:   "create [flags] NAME",
		Short: "Create a bridge network",
		Long: `Create a bridge network. Without --subnet it gets the next free /24 of
10.89.0.0/16 that no other network and no route of the host uses; without
--interface-name the next free bridge name berthN. --subnet may be given
more than once (one address per subnet, IPv4 and IPv6); the n-th --gateway
belongs to the n-th --subnet and defaults to its first address.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var err error
			o.Name = args[0]
			if o.Subnets, err = parseSubnets(subnets, gateways); err != nil {
				return err
			}
			if o.Labels, err = parseLabels(labels); err != nil {
				return err
			}
			m, err := openNetworks(cmd)
			if err != nil {
				return err
			}
			n, err := m.Create(cmd.Context(), o)
			if err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), n.Name)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVarP(&o.Driver, "driver", "d", network.DriverBridge, "network driver (only bridge)")
	f.StringArrayVar(&subnets, "subnet", nil, "subnet in CIDR notation (repeatable)")
	f.StringArrayVar(&gateways, "gateway", nil, "gateway of the subnet in the same position (repeatable)")
	f.BoolVar(&o.Internal, "internal", false, "no default route and no masquerading: containers reach each other and the host only")
	f.StringVar(&o.Interface, "interface-name", "", "name of the bridge on the host")
	f.StringArrayVar(&labels, "label", nil, "KEY=VALUE metadata (repeatable)")
	return cmd
}
