package runtimecli

import "github.com/spf13/cobra"

func newStart(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "start <container-id>",
		Short: "executes the user defined process in a created container",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return g.runtime().Start(g.ctx(), args[0])
		},
	}
}
