package cli

import (
	"fmt"
	"net/netip"
	"os"
	"strings"

	"github.com/berth-oci/berth/engine/network"
	"github.com/berth-oci/berth/errdefs"
	"github.com/spf13/cobra"
)

func newNetworkCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "network",
		Short: "Manage container networks",
		Long: `Manage the networks containers join: Linux bridges set up by CNI plugins
(bridge, host-local, portmap, firewall), stored as CNI conflist files under
<root>/networks. The default network, ` + network.DefaultName + ` (bridge ` + network.DefaultInterface + `, ` + network.DefaultSubnet + `),
is created on first use.`,
	}
	cmd.AddCommand(newNetworkCreateCommand(), newNetworkLsCommand(), newNetworkRmCommand(), newNetworkInspectCommand(),
		newNetworkPruneCommand(), newNetworkExistsCommand())
	return cmd
}

// Where the store is when berth is not told otherwise (the engine's
// defaults for root).
const (
	defaultStoreRoot    = "/var/lib/berth"
	defaultStoreRunRoot = "/run/berth"
)

// openNetworks opens the networks of the store the command line names:
// --root and --runroot, else BERTH_ROOT and BERTH_RUNROOT, else the
// defaults.
func openNetworks(cmd *cobra.Command) (*network.Manager, error) {
	root := storeFlag(cmd, "root", "BERTH_ROOT", defaultStoreRoot)
	runroot := storeFlag(cmd, "runroot", "BERTH_RUNROOT", defaultStoreRunRoot)
	return network.New(network.Options{Root: root, RunRoot: runroot})
}

func storeFlag(cmd *cobra.Command, flag, env, def string) string {
	f := cmd.Flag(flag)
	if f != nil && f.Changed {
		return f.Value.String()
	}
	if v := os.Getenv(env); v != "" {
		return v
	}
	if f != nil && f.Value.String() != "" {
		return f.Value.String()
	}
	return def
}

// parseSubnets pairs --subnet values with --gateway values, in order.
func parseSubnets(subnets, gateways []string) ([]network.Subnet, error) {
	if len(gateways) > len(subnets) {
		return nil, fmt.Errorf("--gateway: %d given for %d --subnet: each gateway belongs to the subnet in the same position: %w", len(gateways), len(subnets), errdefs.ErrInvalidArgument)
	}
	out := make([]network.Subnet, len(subnets))
	for i, s := range subnets {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return nil, fmt.Errorf("--subnet %q: want a CIDR such as 10.90.0.0/24: %w", s, errdefs.ErrInvalidArgument)
		}
		out[i].Subnet = p
		if i < len(gateways) {
			if out[i].Gateway, err = netip.ParseAddr(gateways[i]); err != nil {
				return nil, fmt.Errorf("--gateway %q: want an IP address: %w", gateways[i], errdefs.ErrInvalidArgument)
			}
		}
	}
	return out, nil
}

// parseLabels parses KEY=VALUE pairs.
func parseLabels(labels []string) (map[string]string, error) {
	if len(labels) == 0 {
		return nil, nil
	}
	out := map[string]string{}
	for _, l := range labels {
		k, v, _ := strings.Cut(l, "=")
		if k == "" {
			return nil, fmt.Errorf("--label %q: want KEY=VALUE: %w", l, errdefs.ErrInvalidArgument)
		}
		out[k] = v
	}
	return out, nil
}
