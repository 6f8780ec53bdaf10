package runtimecli

import (
	"github.com/berth-oci/berth/runtime"
	"github.com/spf13/cobra"
)

func newKill(g *globals) *cobra.Command {
	var all bool
	cmd := &cobra.Command{
		Use:   "kill [command options] <container-id> [signal]",
		Short: "signal a container's init process (SIGTERM unless a signal is named)",
		Args:  cobra.RangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			name := "SIGTERM"
			if len(args) == 2 {
				name = args[1]
			}
			sig, err := runtime.ParseSignal(name)
			if err != nil {
				return err
			}
			return g.runtime().Kill(args[0], sig, all)
		},
	}
	cmd.Flags().BoolVarP(&all, "all", "a", false, "signal every process of the container, not only init")
	return cmd
}
